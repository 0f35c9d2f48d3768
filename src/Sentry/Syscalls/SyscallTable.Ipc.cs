using Csrunsc.Sentry.Syscalls.Ipc;

namespace Csrunsc.Sentry.Syscalls;

/// <summary>SysV IPC and POSIX message queues, scoped to the sandbox's IPC namespace (Kernel/Ipc, Fs/Mqueue).</summary>
public static partial class SyscallTable
{
    private static void RegisterIpc()
    {
        Partial(29, "shmget", SysShm.Shmget, "SHM_HUGETLB: EINVAL (no hugetlbfs)");
        Full(30, "shmat", SysShm.Shmat);
        Full(67, "shmdt", SysShm.Shmdt);
        Partial(31, "shmctl", SysShm.Shmctl, "SHM_LOCK/SHM_UNLOCK set and clear SHM_LOCKED but pin nothing (the memory file is never swapped); no RLIMIT_MEMLOCK check");
        Full(64, "semget", SysSem.Semget);
        Partial(65, "semop", SysSem.Semop, "blocked operations retry on every change of the set instead of Linux's FIFO queue of pending operations");
        Partial(220, "semtimedop", SysSem.Semtimedop, "as semop");
        Full(66, "semctl", SysSem.Semctl);
        Full(68, "msgget", SysMsg.Msgget);
        Partial(69, "msgsnd", SysMsg.Msgsnd, "a message is queued, never handed straight to a waiting receiver (Linux's pipelined send); the order seen is the same");
        Full(70, "msgrcv", SysMsg.Msgrcv);
        Full(71, "msgctl", SysMsg.Msgctl);
        Full(240, "mq_open", SysMq.MqOpen);
        Full(241, "mq_unlink", SysMq.MqUnlink);
        Full(242, "mq_timedsend", SysMq.MqTimedsend);
        Full(243, "mq_timedreceive", SysMq.MqTimedreceive);
        Partial(244, "mq_notify", SysMq.MqNotify, "SIGEV_THREAD (glibc's netlink cookie protocol): EINVAL; the registration is dropped when the owner closes the description's last fd, not any fd");
        Full(245, "mq_getsetattr", SysMq.MqGetsetattr);
    }
}
