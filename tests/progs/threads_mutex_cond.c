// 8 threads increment a shared counter under a mutex; a condition variable releases them
// together; the main thread joins them and prints deterministic totals.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8
#define ITERATIONS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int started, go, finished;
static long counter;
static __thread long per_thread;

static void *worker(void *arg)
{
    long id = (long)arg;
    pthread_mutex_lock(&lock);
    started++;
    pthread_cond_broadcast(&done_cond);
    while (!go)
        pthread_cond_wait(&start_cond, &lock);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < ITERATIONS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        per_thread++;
    }
    pthread_mutex_lock(&lock);
    finished++;
    pthread_cond_signal(&done_cond);
    pthread_mutex_unlock(&lock);
    return (void *)(per_thread * 100 + id);
}

int main(void)
{
    pthread_t threads[THREADS];
    for (long i = 0; i < THREADS; i++) {
        if (pthread_create(&threads[i], NULL, worker, (void *)i) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    pthread_mutex_lock(&lock);
    while (started < THREADS)
        pthread_cond_wait(&done_cond, &lock);
    printf("started %d\n", started);
    go = 1;
    pthread_cond_broadcast(&start_cond);
    while (finished < THREADS)
        pthread_cond_wait(&done_cond, &lock);
    pthread_mutex_unlock(&lock);
    long sum = 0;
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        pthread_join(threads[i], &ret);
        printf("thread %d returned %ld\n", i, (long)ret);
        sum += (long)ret / 100;
    }
    printf("counter %ld sum %ld main tls %ld\n", counter, sum, per_thread);
    return counter == (long)THREADS * ITERATIONS ? 0 : 2;
}
