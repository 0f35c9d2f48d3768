/* pty: the Sentry's pseudo-terminals against Linux's. /dev/ptmx and devpts (posix_openpt, grantpt,
 * unlockpt, ptsname, TIOCGPTN, TIOCSPTLCK, TIOCGPTPEER, openpty, ttyname), the line discipline
 * (canonical editing, echo flags, input and output mappings, raw reads with VMIN/VTIME, flushes,
 * TIOCINQ), window sizes, controlling terminals and job control (setsid, TIOCSCTTY, /dev/tty,
 * ^C ^Z ^\ to the foreground group, SIGWINCH, SIGTTOU/SIGTTIN for a background group, TIOCNOTTY),
 * hang-ups (master close: SIGHUP, EOF/EIO on the replica; replica close: EIO/POLLHUP on the master)
 * and a `script`-like session running busybox sh on a pty. One line per check; deterministic. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *name, int ok, const char *detail)
{
    printf("%s: %s%s%s\n", name, ok ? "ok" : "FAIL", detail && *detail ? " " : "", detail ? detail : "");
    if (!ok) failures++;
    fflush(stdout);
}

/* Printable form of bytes: \r \n \b and others as \xHH. */
static const char *esc(const char *s, int n)
{
    static char out[4][1024];
    static int which;
    char *o = out[which++ & 3], *p = o;
    for (int i = 0; i < n && p < o + 1000; i++) {
        unsigned char c = s[i];
        if (c == '\r') p += sprintf(p, "\\r");
        else if (c == '\n') p += sprintf(p, "\\n");
        else if (c == '\b') p += sprintf(p, "\\b");
        else if (c < 0x20 || c >= 0x7f) p += sprintf(p, "\\x%02x", c);
        else *p++ = c;
    }
    *p = 0;
    return o;
}

/* Everything fd has until it stays quiet for quiet_ms (Linux moves pty data asynchronously). */
static int slurp(int fd, char *buf, int cap, int quiet_ms)
{
    int n = 0;
    while (n < cap) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, quiet_ms) <= 0 || !(p.revents & POLLIN)) break;
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0) break;
        n += r;
    }
    return n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put(int fd, const char *s) { (void)!write(fd, s, strlen(s)); }

/* Master writes input, the replica reads one read(); echo is what the master gets back. */
static void line_case(const char *name, int m, int s, const char *input, int inlen)
{
    char got[512], echo[512], d[1200];
    (void)!write(m, input, inlen);
    struct pollfd p = { .fd = s, .events = POLLIN };
    poll(&p, 1, 2000);
    int n = read(s, got, sizeof got);
    int e = slurp(m, echo, sizeof echo, 100);
    snprintf(d, sizeof d, "read=%d \"%s\" echo=\"%s\"", n, n > 0 ? esc(got, n) : "", esc(echo, e));
    check(name, n >= 0, d);
}

static void set_lflag(int s, tcflag_t on, tcflag_t off)
{
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag = (t.c_lflag | on) & ~off;
    tcsetattr(s, TCSANOW, &t);
}

static void devpts_checks(void)
{
    char d[256];
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    check("posix_openpt", m >= 0, "");
    unsigned int n = 99;
    int r = ioctl(m, TIOCGPTN, &n);
    snprintf(d, sizeof d, "index=%u", n);
    check("TIOCGPTN", r == 0, d);
    char *name = ptsname(m);
    snprintf(d, sizeof d, "%s", name ? name : "(null)");
    check("ptsname", name != NULL, d);
    char path[64];
    snprintf(path, sizeof path, "%s", name ? name : "");
    int locked = -1;
    ioctl(m, TIOCGPTLCK, &locked);
    int s = open(path, O_RDWR | O_NOCTTY);
    snprintf(d, sizeof d, "locked=%d open=%s", locked, s < 0 ? strerror(errno) : "opened");
    check("open locked replica", s < 0 && errno == EIO, d);
    check("grantpt", grantpt(m) == 0, "");
    check("unlockpt", unlockpt(m) == 0, "");
    ioctl(m, TIOCGPTLCK, &locked);
    s = open(path, O_RDWR | O_NOCTTY);
    snprintf(d, sizeof d, "locked=%d", locked);
    check("open replica", s >= 0, d);
    struct stat st;
    stat(path, &st);
    snprintf(d, sizeof d, "chr=%d major=%u minor=%u mode=%o gid=%u", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev),
             st.st_mode & 07777, st.st_gid);
    check("stat replica", S_ISCHR(st.st_mode), d);
    struct stat fst;
    fstat(s, &fst);
    check("fstat replica is the node", fst.st_ino == st.st_ino && fst.st_rdev == st.st_rdev, "");
    fstat(m, &fst);
    snprintf(d, sizeof d, "major=%u minor=%u", major(fst.st_rdev), minor(fst.st_rdev));
    check("fstat master", S_ISCHR(fst.st_mode), d);
    char *tn = ttyname(s);
    snprintf(d, sizeof d, "%s", tn ? tn : strerror(errno));
    check("ttyname replica", tn != NULL, d);
    check("isatty", isatty(s) == 1 && isatty(m) == 1, "");
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    fstat(peer, &fst);
    tn = peer >= 0 ? ttyname(peer) : NULL;
    snprintf(d, sizeof d, "same=%d ttyname=%s", fst.st_ino == st.st_ino, tn ? tn : "(none)");
    check("TIOCGPTPEER", peer >= 0, d);
    errno = 0;
    r = ioctl(s, TIOCGPTPEER, O_RDWR);
    snprintf(d, sizeof d, "%s", strerror(errno));
    check("TIOCGPTPEER on replica", r < 0, d);
    r = ioctl(s, TIOCGPTN, &n);
    snprintf(d, sizeof d, "%s", strerror(errno));
    check("TIOCGPTN on replica", r < 0, d);

    /* A second pty takes the next index; once closed its index is free again. */
    int m2 = posix_openpt(O_RDWR | O_NOCTTY);
    char *name2 = ptsname(m2);
    snprintf(d, sizeof d, "%s", name2 ? name2 : "(null)");
    check("second pty", m2 >= 0, d);
    char path2[64];
    snprintf(path2, sizeof path2, "%s", name2 ? name2 : "");
    close(m2);
    r = stat(path2, &st);
    snprintf(d, sizeof d, "%s", r < 0 ? strerror(errno) : "still there");
    check("replica node gone with its master", r < 0, d);
    m2 = posix_openpt(O_RDWR | O_NOCTTY);
    name2 = ptsname(m2);
    snprintf(d, sizeof d, "%s", name2 ? name2 : "(null)");
    check("index reused", m2 >= 0, d);
    close(m2);

    /* openpty with a size. */
    int am, as;
    struct winsize ws = { .ws_row = 33, .ws_col = 111 };
    char opname[64];
    r = openpty(&am, &as, opname, NULL, &ws);
    struct winsize got = {0};
    ioctl(am, TIOCGWINSZ, &got);
    snprintf(d, sizeof d, "name=%s rows=%d cols=%d", r == 0 ? opname : "-", got.ws_row, got.ws_col);
    check("openpty", r == 0, d);
    close(am);
    close(as);

    close(peer);
    close(s);
    close(m);
}

static void discipline_checks(void)
{
    char d[512], buf[512];
    int m, s;
    if (openpty(&m, &s, NULL, NULL, NULL) < 0) {
        check("openpty", 0, strerror(errno));
        return;
    }
    struct termios t;
    tcgetattr(s, &t);
    snprintf(d, sizeof d, "iflag=%#x oflag=%#x cflag=%#x lflag=%#x line=%d cc=%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d ispeed=%d",
             t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag, t.c_line, t.c_cc[0], t.c_cc[1], t.c_cc[2], t.c_cc[3], t.c_cc[4], t.c_cc[5],
             t.c_cc[6], t.c_cc[7], t.c_cc[8], t.c_cc[9], t.c_cc[10], t.c_cc[11], t.c_cc[12], t.c_cc[13], t.c_cc[14], t.c_cc[15],
             t.c_cc[16], (int)cfgetispeed(&t));
    check("replica termios", 1, d);
    struct termios mt;
    tcgetattr(m, &mt);
    check("master termios is the replica's", mt.c_lflag == t.c_lflag && mt.c_iflag == t.c_iflag, "");

    line_case("canonical line", m, s, "hello\n", 6);
    line_case("erase", m, s, "abc\x7f" "d\n", 6);
    line_case("kill (ECHOKE)", m, s, "xyz\x15ok\n", 7);
    line_case("word erase", m, s, "one two\x17three\n", 14);
    line_case("erase a control char", m, s, "a\x01\x7f" "b\n", 5);
    line_case("lnext", m, s, "\x16\x7f\n", 3);
    line_case("ICRNL", m, s, "cr\r", 3);
    line_case("ECHOCTL", m, s, "\x01\x1b\n", 3);
    line_case("partial line then EOF", m, s, "partial\x04", 8);
    line_case("EOF alone", m, s, "\x04", 1);
    line_case("two lines, one read", m, s, "l1\nl2\n", 6);
    line_case("second line", m, s, "", 0);
    set_lflag(s, 0, ECHOKE);
    line_case("kill (ECHOK, no ECHOKE)", m, s, "abc\x15z\n", 6);
    set_lflag(s, ECHOKE, ECHOE);
    line_case("erase without ECHOE", m, s, "ab\x7f\n", 4);
    set_lflag(s, ECHOE | ECHOPRT, 0);
    line_case("ECHOPRT", m, s, "abc\x7f\x7fX\n", 7);
    set_lflag(s, 0, ECHOPRT);
    set_lflag(s, 0, ECHO);
    line_case("no echo", m, s, "secret\n", 7);
    set_lflag(s, ECHONL, 0);
    line_case("ECHONL", m, s, "nl\n", 3);
    set_lflag(s, ECHO, ECHONL);
    set_lflag(s, 0, ECHOCTL);
    line_case("no ECHOCTL", m, s, "\x01\n", 2);
    set_lflag(s, ECHOCTL, 0);

    tcgetattr(s, &t);
    t.c_iflag |= IGNCR;
    tcsetattr(s, TCSANOW, &t);
    line_case("IGNCR", m, s, "a\rb\n", 4);
    t.c_iflag &= ~(IGNCR | ICRNL);
    t.c_iflag |= INLCR;
    t.c_cc[VEOL] = ';';
    tcsetattr(s, TCSANOW, &t);
    line_case("INLCR and VEOL", m, s, "x\ny;", 4);
    t.c_iflag = ICRNL | IXON;
    t.c_cc[VEOL] = 0;
    tcsetattr(s, TCSANOW, &t);

    /* Output processing: ONLCR, then OCRNL/ONOCR, XTABS, no OPOST. */
    put(s, "x\ny\n");
    int n = slurp(m, buf, sizeof buf, 100);
    check("ONLCR", 1, esc(buf, n));
    t.c_oflag |= OCRNL | XTABS;
    tcsetattr(s, TCSANOW, &t);
    put(s, "a\tb\rc\n");
    n = slurp(m, buf, sizeof buf, 100);
    check("OCRNL XTABS", 1, esc(buf, n));
    t.c_oflag &= ~(OCRNL | XTABS);
    t.c_oflag |= ONOCR | OLCUC;
    tcsetattr(s, TCSANOW, &t);
    put(s, "\rab\rcd\n");
    n = slurp(m, buf, sizeof buf, 100);
    check("ONOCR OLCUC", 1, esc(buf, n));
    t.c_oflag = 0;
    tcsetattr(s, TCSANOW, &t);
    put(s, "raw\nout\n");
    n = slurp(m, buf, sizeof buf, 100);
    check("no OPOST", 1, esc(buf, n));
    t.c_oflag = OPOST | ONLCR;
    tcsetattr(s, TCSANOW, &t);

    /* Readiness and TIOCINQ. */
    struct pollfd p[2] = { { .fd = s, .events = POLLIN | POLLOUT }, { .fd = m, .events = POLLIN | POLLOUT } };
    poll(p, 2, 0);
    snprintf(d, sizeof d, "replica=%#x master=%#x", p[0].revents, p[1].revents);
    check("poll idle", 1, d);
    put(m, "partial");
    usleep(100000);
    poll(p, 2, 0);
    int inq = -1;
    ioctl(s, TIOCINQ, &inq);
    snprintf(d, sizeof d, "replica=%#x inq=%d", p[0].revents, inq);
    check("poll unfinished line", 1, d);
    put(m, "\n");
    p[0].revents = 0;
    poll(p, 1, 2000);
    /* Linux commits the echo of the newline to the master side on its own
       schedule (flush_to_ldisc); let it settle so master_inq is not a race. */
    usleep(100000);
    ioctl(s, TIOCINQ, &inq);
    int mq = -1;
    ioctl(m, TIOCINQ, &mq);
    snprintf(d, sizeof d, "replica=%#x inq=%d master_inq=%d", p[0].revents, inq, mq);
    check("poll line", 1, d);
    tcflush(s, TCIFLUSH);
    ioctl(s, TIOCINQ, &inq);
    slurp(m, buf, sizeof buf, 100);
    snprintf(d, sizeof d, "inq=%d", inq);
    check("TCIFLUSH", inq == 0, d);
    put(s, "unread\n");
    usleep(100000);
    ioctl(m, TIOCINQ, &mq);
    int outq = -1;
    ioctl(s, TIOCOUTQ, &outq);
    tcflush(s, TCOFLUSH);
    n = slurp(m, buf, sizeof buf, 100);
    snprintf(d, sizeof d, "master_inq=%d outq=%d after_flush=%d", mq, outq, n);
    check("TCOFLUSH", 1, d);

    /* Raw mode: VMIN/VTIME. */
    struct termios raw;
    tcgetattr(s, &raw);
    cfmakeraw(&raw);
    tcsetattr(s, TCSANOW, &raw);
    put(m, "abc\r\n");
    char r3[16];
    int got = 0;
    while (got < 5) {
        int k = read(s, r3 + got, sizeof r3 - got);
        if (k <= 0) break;
        got += k;
    }
    check("raw read", got == 5, esc(r3, got));
    n = slurp(m, buf, sizeof buf, 100);
    snprintf(d, sizeof d, "echo=%d", n);
    check("raw no echo", n == 0, d);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(s, TCSANOW, &raw);
    double t0 = now();
    n = read(s, buf, sizeof buf);
    snprintf(d, sizeof d, "n=%d quick=%d", n, now() - t0 < 0.1);
    check("VMIN=0 VTIME=0", n == 0, d);
    raw.c_cc[VTIME] = 3;
    tcsetattr(s, TCSANOW, &raw);
    t0 = now();
    n = read(s, buf, sizeof buf);
    double el = now() - t0;
    snprintf(d, sizeof d, "n=%d waited=%d", n, el > 0.2 && el < 2);
    check("VMIN=0 VTIME=3", n == 0, d);
    raw.c_cc[VMIN] = 3;
    raw.c_cc[VTIME] = 0;
    tcsetattr(s, TCSANOW, &raw);
    put(m, "xy");
    p[0].events = POLLIN;
    p[0].revents = 0;
    usleep(100000);
    poll(p, 1, 0);
    snprintf(d, sizeof d, "revents=%#x", p[0].revents);
    check("poll below VMIN", 1, d);
    put(m, "z");
    n = read(s, buf, sizeof buf);
    check("VMIN=3", n == 3, esc(buf, n > 0 ? n : 0));
    raw.c_cc[VMIN] = 5;
    raw.c_cc[VTIME] = 2;
    tcsetattr(s, TCSANOW, &raw);
    put(m, "ab");
    t0 = now();
    n = read(s, buf, sizeof buf);
    el = now() - t0;
    snprintf(d, sizeof d, "n=%d \"%s\" waited=%d", n, esc(buf, n > 0 ? n : 0), el > 0.1 && el < 2);
    check("VMIN=5 VTIME=2 inter-byte", n == 2, d);
    fcntl(s, F_SETFL, O_NONBLOCK);
    n = read(s, buf, sizeof buf);
    snprintf(d, sizeof d, "%s", n < 0 ? strerror(errno) : "data");
    check("non-blocking empty", n < 0 && errno == EAGAIN, d);
    fcntl(s, F_SETFL, 0);
    raw.c_lflag |= ECHO;
    raw.c_cc[VMIN] = 1;
    tcsetattr(s, TCSANOW, &raw);
    put(m, "e\x01x");
    usleep(100000);
    n = read(s, buf, sizeof buf);
    int e = slurp(m, buf + 100, 100, 100);
    snprintf(d, sizeof d, "read=%d echo=\"%s\"", n, esc(buf + 100, e));
    check("raw with ECHO", 1, d);

    /* Back to canonical: what was typed in raw mode becomes the line being edited. */
    raw.c_lflag &= ~ECHO;
    tcsetattr(s, TCSANOW, &raw);
    put(m, "kept");
    usleep(100000);
    struct termios canon;
    tcgetattr(s, &canon);
    canon.c_lflag |= ICANON;
    tcsetattr(s, TCSANOW, &canon);
    put(m, "\n");
    n = read(s, buf, sizeof buf);
    int n2 = read(s, buf + 100, 100);
    snprintf(d, sizeof d, "\"%s\" then \"%s\"", esc(buf, n > 0 ? n : 0), esc(buf + 100, n2 > 0 ? n2 : 0));
    check("raw bytes become a canonical line", 1, d);

    /* IXON: ^S stops the replica's output, ^Q restarts it. */
    tcgetattr(s, &t);
    t.c_iflag |= IXON;
    t.c_lflag |= ECHO | ICANON;
    tcsetattr(s, TCSANOW, &t);
    put(m, "\x13");
    usleep(100000);
    fcntl(s, F_SETFL, O_NONBLOCK);
    n = write(s, "held", 4);
    int werr = errno;
    struct pollfd sp = { .fd = s, .events = POLLOUT };
    poll(&sp, 1, 0);
    snprintf(d, sizeof d, "write=%d %s pollout=%d", n, n < 0 ? strerror(werr) : "", (sp.revents & POLLOUT) != 0);
    check("VSTOP", 1, d);
    put(m, "\x11");
    usleep(100000);
    n = write(s, "go", 2);
    fcntl(s, F_SETFL, 0);
    e = slurp(m, buf, sizeof buf, 100);
    snprintf(d, sizeof d, "write=%d master=\"%s\"", n, esc(buf, e));
    check("VSTART", n == 2, d);
    tcflow(s, TCOOFF);
    fcntl(s, F_SETFL, O_NONBLOCK);
    n = write(s, "x", 1);
    snprintf(d, sizeof d, "write=%d", n);
    check("TCOOFF", 1, d);
    tcflow(s, TCOON);
    n = write(s, "y", 1);
    fcntl(s, F_SETFL, 0);
    e = slurp(m, buf, sizeof buf, 100);
    snprintf(d, sizeof d, "write=%d master=\"%s\"", n, esc(buf, e));
    check("TCOON", n == 1, d);

    /* Window size. */
    struct winsize ws = { .ws_row = 24, .ws_col = 80, .ws_xpixel = 1, .ws_ypixel = 2 }, wg = {0};
    ioctl(m, TIOCSWINSZ, &ws);
    ioctl(s, TIOCGWINSZ, &wg);
    snprintf(d, sizeof d, "%dx%d %d %d", wg.ws_row, wg.ws_col, wg.ws_xpixel, wg.ws_ypixel);
    check("TIOCSWINSZ/TIOCGWINSZ", wg.ws_row == 24 && wg.ws_col == 80, d);

    /* Not our controlling terminal. */
    pid_t pg;
    errno = 0;
    int r = ioctl(s, TIOCGPGRP, &pg);
    snprintf(d, sizeof d, "%s", r < 0 ? strerror(errno) : "answered");
    check("TIOCGPGRP without ctty", 1, d);
    r = ioctl(m, TIOCGPGRP, &pg);
    snprintf(d, sizeof d, "r=%d pgrp=%d", r, r == 0 ? pg : -1);
    check("TIOCGPGRP on master", 1, d);
    r = ioctl(s, TIOCGSID, &pg);
    snprintf(d, sizeof d, "%s", r < 0 ? strerror(errno) : "answered");
    check("TIOCGSID without ctty", 1, d);
    pid_t c = fork();
    if (c == 0) _exit(ioctl(s, TIOCSCTTY, 0) < 0 ? errno : 0);
    int cst;
    waitpid(c, &cst, 0);
    snprintf(d, sizeof d, "%s", WEXITSTATUS(cst) ? strerror(WEXITSTATUS(cst)) : "acquired");
    check("TIOCSCTTY by a non-leader", WEXITSTATUS(cst) != 0, d);

    /* TIOCSCTTY on the master (gVisor's SetTTYMaster): the replica becomes the leader's terminal. */
    c = fork();
    if (c == 0) {
        setsid();
        if (ioctl(m, TIOCSCTTY, 0) < 0) _exit(100 + errno % 100);
        pid_t sid = 0;
        if (ioctl(s, TIOCGSID, &sid) < 0) _exit(2);
        int t = open("/dev/tty", O_RDWR | O_NOCTTY);
        int again = ioctl(m, TIOCSCTTY, 0);
        int notty = ioctl(m, TIOCNOTTY, 0) < 0 ? errno : 0;
        _exit(sid != getpid() ? 3 : t < 0 ? 4 : again != 0 ? 5 : notty != ENOTTY ? 6 : 0);
    }
    waitpid(c, &cst, 0);
    snprintf(d, sizeof d, "exit %d", WEXITSTATUS(cst));
    check("TIOCSCTTY on the master: replica is the terminal, /dev/tty opens, again 0, TIOCNOTTY on master ENOTTY", WEXITSTATUS(cst) == 0, d);

    /* The replica closes: the master reads what is left, then EIO and POLLHUP. */
    put(s, "bye\n");
    close(s);
    usleep(100000);
    struct pollfd mp = { .fd = m, .events = POLLIN };
    poll(&mp, 1, 0);
    n = read(m, buf, sizeof buf);
    snprintf(d, sizeof d, "\"%s\" revents=%#x", esc(buf, n > 0 ? n : 0), mp.revents);
    check("master reads after replica close", n > 0, d);
    n = read(m, buf, sizeof buf);
    mp.revents = 0;
    poll(&mp, 1, 0);
    snprintf(d, sizeof d, "n=%d %s revents=%#x", n, n < 0 ? strerror(errno) : "", mp.revents);
    check("master after replica close", n < 0 && errno == EIO, d);
    close(m);
}

static int report_pipe = -1;

static void note(int sig)
{
    char c = sig == SIGINT ? 'I' : sig == SIGQUIT ? 'Q' : sig == SIGTSTP ? 'Z' : sig == SIGWINCH ? 'W' : sig == SIGHUP ? 'H'
           : sig == SIGCONT ? 'C' : sig == SIGTTOU ? 'O' : sig == SIGTTIN ? 'N' : '?';
    (void)!write(report_pipe, &c, 1);
}

static void catch(int sig)
{
    struct sigaction sa = { .sa_handler = note, .sa_flags = SA_RESTART };
    sigaction(sig, &sa, NULL);
}

/* Reads one byte the child reports (or 0 after 3 s). */
static char expect(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    char c = 0;
    if (poll(&p, 1, 3000) > 0) (void)!read(fd, &c, 1);
    return c;
}

/* Bytes reported within quiet_ms. */
static int reports(int fd, char *buf, int cap, int quiet_ms) { return slurp(fd, buf, cap, quiet_ms); }

static void session_checks(void)
{
    char d[512], buf[256];
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    char path[64];
    snprintf(path, sizeof path, "%s", ptsname(m));
    int rep[2], go[2];
    pipe(rep);
    pipe(go);
    int fd = open("/dev/tty", O_RDWR);
    snprintf(d, sizeof d, "%s", fd < 0 ? strerror(errno) : "opened");
    check("/dev/tty without a controlling terminal", fd < 0, d);
    if (fd >= 0) close(fd);

    pid_t child = fork();
    if (child == 0) {
        report_pipe = rep[1];
        close(rep[0]);
        close(go[1]);
        close(m);
        char msg[256];
        setsid();
        int t = open("/dev/tty", O_RDWR);
        int e1 = t < 0 ? errno : 0;
        int s = open(path, O_RDWR); /* no O_NOCTTY: a session leader acquires it */
        pid_t sid = -1, pg = -1;
        ioctl(s, TIOCGSID, &sid);
        pg = tcgetpgrp(s);
        int tty = open("/dev/tty", O_RDWR);
        struct stat a, b;
        fstat(tty, &a);
        stat("/dev/tty", &b);
        char *tn = ttyname(tty);
        int again = ioctl(s, TIOCSCTTY, 0);
        snprintf(msg, sizeof msg, "before=%s sid_is_me=%d fg_is_me=%d devtty=%s devtty_node=%d ttyname=%s resctty=%d\n",
                 e1 ? strerror(e1) : "opened", sid == getpid(), pg == getpid(), tty >= 0 ? "opened" : strerror(errno),
                 a.st_rdev == b.st_rdev, tn ? tn : "-", again);
        (void)!write(rep[1], msg, strlen(msg));
        (void)!write(tty, "via-devtty\n", 11);
        catch(SIGINT);
        catch(SIGQUIT);
        catch(SIGTSTP);
        catch(SIGWINCH);
        catch(SIGHUP);
        catch(SIGCONT);
        catch(SIGTTOU);
        (void)!write(rep[1], "R", 1);
        /* A background group of this session: TOSTOP writes raise SIGTTOU, reads with SIGTTIN ignored get EIO. */
        char c;
        (void)!read(go[0], &c, 1);
        struct termios tt;
        tcgetattr(s, &tt);
        tt.c_lflag |= TOSTOP;
        tcsetattr(s, TCSANOW, &tt);
        pid_t bg = fork();
        if (bg == 0) {
            setpgid(0, 0);
            signal(SIGTTIN, SIG_IGN);
            struct sigaction once = { .sa_handler = note }; /* no SA_RESTART: the write gives EINTR */
            sigaction(SIGTTOU, &once, NULL);
            errno = 0;
            int w = write(s, "bg\n", 3);
            int we = errno;
            errno = 0;
            char x;
            int rr = read(s, &x, 1);
            int re = errno;
            errno = 0;
            int sp = tcsetpgrp(s, getpgrp());
            int se = errno;
            signal(SIGTTOU, SIG_IGN);
            int w2 = write(s, "bg2\n", 4);
            char out[200];
            snprintf(out, sizeof out, "bg write=%d %s read=%d %s tcsetpgrp=%d %s ignored-write=%d\n", w, strerror(we), rr, strerror(re),
                     sp, strerror(se), w2);
            (void)!write(rep[1], out, strlen(out));
            _exit(0);
        }
        int st;
        waitpid(bg, &st, 0);
        tt.c_lflag &= ~TOSTOP;
        tcsetattr(s, TCSANOW, &tt);
        (void)!write(rep[1], "B", 1);
        /* Wait for the hang-up, then report what the replica does. */
        (void)!read(go[0], &c, 1);
        errno = 0;
        char x;
        int rr = read(s, &x, 1);
        int re = errno;
        errno = 0;
        int w = write(s, "x", 1);
        int we = errno;
        errno = 0;
        int io = tcgetattr(s, &tt);
        int ie = errno;
        int t2 = open("/dev/tty", O_RDWR);
        int te = errno;
        struct pollfd p = { .fd = s, .events = POLLIN | POLLOUT };
        poll(&p, 1, 0);
        snprintf(msg, sizeof msg, "after hangup: read=%d %s write=%d %s tcgetattr=%d %s devtty=%s revents=%#x\n", rr,
                 rr < 0 ? strerror(re) : "", w, w < 0 ? strerror(we) : "", io, io < 0 ? strerror(ie) : "",
                 t2 < 0 ? strerror(te) : "opened", p.revents);
        (void)!write(rep[1], msg, strlen(msg));
        _exit(0);
    }
    close(rep[1]);
    close(go[0]);
    int n = 0;
    while (n < (int)sizeof buf - 1) {
        char c = expect(rep[0]);
        if (c == 0 || c == 'R') break;
        buf[n++] = c;
    }
    buf[n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    check("child acquires the pty", strstr(buf, "sid_is_me=1") != NULL, buf);
    n = slurp(m, buf, sizeof buf, 100);
    check("write through /dev/tty", 1, esc(buf, n));
    pid_t fg = -1;
    ioctl(m, TIOCGPGRP, &fg);
    pid_t sid = -1;
    ioctl(m, TIOCGSID, &sid);
    snprintf(d, sizeof d, "fg_is_child=%d sid_is_child=%d", fg == child, sid == child);
    check("master sees the session", fg == child && sid == child, d);

    char got[8];
    put(m, "\x03");
    got[0] = expect(rep[0]);
    n = slurp(m, buf, sizeof buf, 100);
    snprintf(d, sizeof d, "signal=%c echo=\"%s\"", got[0], esc(buf, n));
    check("^C", got[0] == 'I', d);
    put(m, "\x1c");
    got[0] = expect(rep[0]);
    slurp(m, buf, sizeof buf, 100);
    check("^\\", got[0] == 'Q', "");
    put(m, "\x1a");
    got[0] = expect(rep[0]);
    n = slurp(m, buf, sizeof buf, 100);
    snprintf(d, sizeof d, "signal=%c echo=\"%s\"", got[0], esc(buf, n));
    check("^Z", got[0] == 'Z', d);
    put(m, "typed\x03");
    got[0] = expect(rep[0]);
    int inq = -1;
    usleep(50000);
    n = slurp(m, buf, sizeof buf, 100);
    snprintf(d, sizeof d, "signal=%c echo=\"%s\"", got[0], esc(buf, n));
    check("^C flushes the line", got[0] == 'I', d);
    struct winsize ws = { .ws_row = 30, .ws_col = 100 };
    ioctl(m, TIOCSWINSZ, &ws);
    got[0] = expect(rep[0]);
    check("SIGWINCH", got[0] == 'W', "");
    got[1] = 0;
    ioctl(m, TIOCSWINSZ, &ws);
    n = reports(rep[0], buf, sizeof buf, 300);
    snprintf(d, sizeof d, "reports=%d", n);
    check("same size: no SIGWINCH", n == 0, d);

    (void)!write(go[1], "g", 1);
    n = 0;
    while (n < (int)sizeof buf - 1) {
        char c = expect(rep[0]);
        if (c == 0 || c == 'B') break;
        buf[n++] = c;
    }
    buf[n] = 0;
    /* The background writer's SIGTTOU went to its own group, not to the session leader. */
    buf[strcspn(buf, "\n")] = 0;
    check("background group", strstr(buf, "bg write=-1") != NULL, buf);
    n = slurp(m, buf, sizeof buf, 100);
    check("background output", 1, esc(buf, n));
    (void)ioctl(m, TIOCINQ, &inq);

    close(m);
    n = reports(rep[0], buf, sizeof buf, 300);
    buf[n] = 0;
    check("master close: SIGHUP and SIGCONT to the session leader", strchr(buf, 'H') != NULL, buf);
    (void)!write(go[1], "g", 1);
    n = 0;
    while (n < (int)sizeof buf - 1) {
        char c = expect(rep[0]);
        if (c == 0) break;
        buf[n++] = c;
        if (c == '\n') break;
    }
    buf[n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    check("replica after hang-up", strstr(buf, "read=0") != NULL, buf);
    int st;
    waitpid(child, &st, 0);
    snprintf(d, sizeof d, "status=%#x", st);
    check("child exit", WIFEXITED(st) && WEXITSTATUS(st) == 0, d);
    close(rep[0]);
    close(go[1]);
    struct stat sst;
    int r = stat(path, &sst);
    snprintf(d, sizeof d, "%s", r < 0 ? strerror(errno) : "still there");
    check("node gone after hang-up", r < 0, d);
}

/* A group whose only member has exited but is not reaped yet still exists (Linux's pid_task(PIDTYPE_PGID)
 * sees zombies): tcsetpgrp to it and setpgid into it succeed, as a shell's `true | cat` needs when `true`
 * is done before cat joins its group; once every member is reaped the group is gone (ESRCH). */
static void zombie_group_checks(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    char path[64];
    snprintf(path, sizeof path, "%s", ptsname(m));
    int rep[2];
    pipe(rep);
    pid_t leader = fork();
    if (leader == 0) {
        close(rep[0]);
        setsid();
        int s = open(path, O_RDWR); /* acquired: a session leader without a terminal */
        signal(SIGTTOU, SIG_IGN);
        pid_t a = fork();
        if (a == 0) {
            setpgid(0, 0);
            _exit(0);
        }
        setpgid(a, a);
        siginfo_t si;
        waitid(P_PID, a, &si, WEXITED | WNOWAIT);
        int fg = tcsetpgrp(s, a);
        int efg = errno;
        pid_t b = fork();
        if (b == 0) {
            int r = setpgid(0, a);
            int e = errno;
            char x = r == 0 && getpgrp() == a ? 'y' : e == EPERM ? 'p' : 'e';
            (void)!write(rep[1], &x, 1);
            _exit(0);
        }
        waitpid(b, NULL, 0);
        waitpid(a, NULL, 0);
        int gone = tcsetpgrp(s, a);
        int egone = errno;
        tcsetpgrp(s, getpgrp());
        char msg[160];
        snprintf(msg, sizeof msg, " fg_zombie=%d(%s) fg_reaped=%d(%s)", fg, fg ? strerror(efg) : "ok", gone, gone ? strerror(egone) : "ok");
        (void)!write(rep[1], msg, strlen(msg));
        _exit(0);
    }
    close(rep[1]);
    char buf[200];
    int n = 0;
    ssize_t r;
    while (n < (int)sizeof buf - 1 && (r = read(rep[0], buf + n, sizeof buf - 1 - n)) > 0) n += r;
    buf[n] = 0;
    waitpid(leader, NULL, 0);
    close(rep[0]);
    close(m);
    check("setpgid into a group whose member exited unreaped", n > 0 && buf[0] == 'y', buf);
    check("tcsetpgrp to a zombie's group", strstr(buf, "fg_zombie=0(ok)") != NULL, buf);
    check("tcsetpgrp to a reaped group", strstr(buf, "fg_reaped=-1(No such process)") != NULL, buf);
}

/* TIOCNOTTY by a session leader: SIGHUP and SIGCONT to its foreground group (itself), /dev/tty then fails. */
static void notty_checks(void)
{
    char d[256];
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    char path[64];
    snprintf(path, sizeof path, "%s", ptsname(m));
    int rep[2];
    pipe(rep);
    pid_t child = fork();
    if (child == 0) {
        report_pipe = rep[1];
        close(rep[0]);
        setsid();
        int s = open(path, O_RDWR | O_NOCTTY);
        int r1 = ioctl(s, TIOCSCTTY, 0);
        catch(SIGHUP);
        catch(SIGCONT);
        int r2 = ioctl(s, TIOCNOTTY);
        usleep(100000);
        int t = open("/dev/tty", O_RDWR);
        int te = errno;
        pid_t pg;
        int r3 = ioctl(s, TIOCGPGRP, &pg);
        int ge = errno;
        int r4 = ioctl(s, TIOCSCTTY, 0);
        pid_t sid = 0;
        ioctl(s, TIOCGSID, &sid);
        char msg[200];
        snprintf(msg, sizeof msg, "|sctty=%d notty=%d devtty=%s tiocgpgrp=%d %s reacquire=%d sid_is_me=%d\n", r1, r2,
                 t < 0 ? strerror(te) : "opened", r3, r3 < 0 ? strerror(ge) : "", r4, sid == getpid());
        (void)!write(rep[1], msg, strlen(msg));
        _exit(0);
    }
    close(rep[1]);
    char buf[256];
    int n = 0;
    while (n < (int)sizeof buf - 1) {
        char c = expect(rep[0]);
        if (c == 0) break;
        buf[n++] = c;
        if (c == '\n') break;
    }
    buf[n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    check("TIOCNOTTY", strstr(buf, "notty=0") != NULL, buf);
    int st;
    waitpid(child, &st, 0);
    close(rep[0]);
    close(m);
    (void)d;
}

/* A session leader's TIOCNOTTY: its foreground group gets SIGHUP then SIGCONT; a member that had both
 * blocked takes them one sigsuspend at a time (gVisor's JobControlTest.ReleaseTTYSignals); a member
 * of another group gets nothing. */
static volatile int release_got;
static void release_note(int sig) { release_got |= 1 << sig; }

static void release_signals_check(void)
{
    char d[256];
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    char path[64];
    snprintf(path, sizeof path, "%s", ptsname(m));
    pid_t leader = fork();
    if (leader == 0) {
        setsid();
        int s = open(path, O_RDWR | O_NOCTTY);
        if (ioctl(s, TIOCSCTTY, 0) < 0) _exit(90);
        sigset_t both;
        sigemptyset(&both);
        sigaddset(&both, SIGHUP);
        sigaddset(&both, SIGCONT);
        sigprocmask(SIG_BLOCK, &both, NULL);
        int ready[2];
        pipe(ready);
        pid_t same = fork();
        if (same == 0) {
            struct sigaction sa = { 0 };
            sa.sa_handler = release_note;
            sa.sa_mask = both;
            sigaction(SIGHUP, &sa, NULL);
            sigaction(SIGCONT, &sa, NULL);
            (void)!write(ready[1], "r", 1);
            sigset_t wait_mask;
            sigfillset(&wait_mask);
            sigdelset(&wait_mask, SIGHUP);
            sigdelset(&wait_mask, SIGCONT);
            int waits = 0;
            while (release_got != ((1 << SIGHUP) | (1 << SIGCONT)) && waits < 5) {
                sigsuspend(&wait_mask);
                waits++;
            }
            _exit(release_got == ((1 << SIGHUP) | (1 << SIGCONT)) ? waits : 50);
        }
        sigprocmask(SIG_UNBLOCK, &both, NULL);
        pid_t other = fork();
        if (other == 0) {
            setpgid(0, 0);
            pause();
            _exit(60);
        }
        setpgid(other, other);
        char ch;
        (void)!read(ready[0], &ch, 1);
        usleep(100000);
        signal(SIGHUP, SIG_IGN);
        int r = ioctl(s, TIOCNOTTY);
        int st = 0;
        alarm(5);
        waitpid(same, &st, 0);
        int same_status = WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
        int other_alive = waitpid(other, &st, WNOHANG) == 0;
        kill(other, SIGKILL);
        waitpid(other, &st, 0);
        _exit(r != 0 ? 91 : other_alive ? same_status : 92);
    }
    int st;
    waitpid(leader, &st, 0);
    snprintf(d, sizeof d, "leader exit=%d (2: both signals, one sigsuspend each; other group untouched)",
             WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    check("TIOCNOTTY signals the foreground group only", WIFEXITED(st) && WEXITSTATUS(st) == 2, d);
    close(m);
}

/* What `script -qc CMD /dev/null` does: CMD on a new pty as its controlling terminal, its output copied. */
static void spawn_check(const char *name, const char *cmd, int rows, int cols, const char *input)
{
    int m;
    char pname[64];
    struct winsize ws = { .ws_row = rows, .ws_col = cols };
    pid_t pid = forkpty(&m, pname, NULL, &ws);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    char buf[4096];
    int n = 0;
    if (input) {
        /* Typed once the program has prompted (and then waits for it). */
        double t0 = now();
        while (n < (int)sizeof buf - 1 && now() - t0 < 5) {
            n += slurp(m, buf + n, sizeof buf - 1 - n, 50);
            buf[n] = 0;
            if (strstr(buf, "? ")) break;
        }
        usleep(200000);
        put(m, input);
    }
    while (n < (int)sizeof buf) {
        int k = read(m, buf + n, sizeof buf - n);
        if (k <= 0) break;
        n += k;
    }
    int st;
    waitpid(pid, &st, 0);
    close(m);
    printf("%s: %s status=%d\n", name, pid > 0 ? "ok" : "FAIL", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    /* One output line per check line, with the terminal's \r kept visible. */
    int start = 0;
    for (int i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            printf("  | %s\n", esc(buf + start, i - start + 1));
            start = i + 1;
        }
    }
    if (start < n) printf("  | %s\n", esc(buf + start, n - start));
    if (pid <= 0) failures++;
    fflush(stdout);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *part = argc > 1 ? argv[1] : "all";
    int all = !strcmp(part, "all");
    if (all || !strcmp(part, "devpts")) devpts_checks();
    if (all || !strcmp(part, "discipline")) discipline_checks();
    if (all || !strcmp(part, "session")) {
        session_checks();
        notty_checks();
        zombie_group_checks();
        release_signals_check();
    }
    if (all || !strcmp(part, "script")) {
    spawn_check("script echo hi; tty", "echo hi; tty", 0, 0, NULL);
    spawn_check("script stty", "stty size; stty -a; stty raw -echo; stty -g", 25, 90, NULL);
    spawn_check("script read", "printf 'name? '; read x </dev/tty; echo \"got $x\"", 0, 0, "csrunsc\r");
    }
    printf("pty: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures != 0;
}
