using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Epoll;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2 (see <see cref="EpollFile"/>).</summary>
internal static class SysEpoll
{
    private const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    private const int EventSize = EpollFile.EventSize;
    private const int MaxEvents = int.MaxValue / EventSize;

    public static long EpollCreate(Task t, in SyscallArguments a) =>
        a.Int(0) <= 0 ? -Errno.EINVAL : t.Fds.Add(new EpollFile(0), false);

    public static long EpollCreate1(Task t, in SyscallArguments a)
    {
        int flags = a.Int(0);
        if ((flags & ~Libc.O_CLOEXEC) != 0) return -Errno.EINVAL;
        return t.Fds.Add(new EpollFile(flags), (flags & Libc.O_CLOEXEC) != 0);
    }

    public static long EpollCtl(Task t, in SyscallArguments a)
    {
        int op = a.Int(1), fd = a.Int(2);
        uint events = 0;
        ulong data = 0;
        if (op != EPOLL_CTL_DEL)
        {
            Span<byte> ev = stackalloc byte[EventSize];
            if (t.CopyIn(a.A3, ev) < 0) return -Errno.EFAULT;
            events = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(ev);
            data = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(ev[4..]);
        }
        var epfile = t.Fds.GetRef(a.Int(0));
        if (epfile is null) return -Errno.EBADF;
        var target = t.Fds.GetRef(fd);
        try
        {
            if (target is null) return -Errno.EBADF;
            if (epfile is not EpollFile ep || ReferenceEquals(target, ep)) return -Errno.EINVAL;
            // Files that cannot be polled (regular files, directories) cannot be watched, as in Linux.
            if (target.Inode is { } inode && (Vfs.FileMode.IsRegular(inode.Mode) || inode.IsDirectory)) return -Errno.EPERM;
            if (op is EPOLL_CTL_ADD or EPOLL_CTL_MOD)
            {
                int c = EpollFile.CheckEvents(op, events, target);
                if (c < 0) return c;
            }
            return op switch
            {
                EPOLL_CTL_ADD => ep.Add(fd, target, events, data),
                EPOLL_CTL_MOD => ep.Modify(fd, target, events, data),
                EPOLL_CTL_DEL => ep.Remove(fd, target),
                _ => -Errno.EINVAL,
            };
        }
        finally
        {
            target?.DecRef();
            epfile.DecRef();
        }
    }

    public static long EpollWait(Task t, in SyscallArguments a) => Wait(t, a.Int(0), a.A1, a.Int(2), TimeoutDeadline(a.Int(3)));

    public static long EpollPwait(Task t, in SyscallArguments a) => WithMask(t, a.A4, a.A5, a.Int(0), a.A1, a.Int(2), TimeoutDeadline(a.Int(3)));

    /// <summary>epoll_pwait2: the timeout is a timespec (NULL: wait forever).</summary>
    public static long EpollPwait2(Task t, in SyscallArguments a)
    {
        int r = ReadinessWait.DeadlineFromTimespec(t, a.A3, out long deadline, out _);
        if (r < 0) return r;
        return WithMask(t, a.A4, a.A5, a.Int(0), a.A1, a.Int(2), deadline);
    }

    /// <summary>0 = no wait (deadline in the past), negative = forever.</summary>
    private static long TimeoutDeadline(int timeoutMs) =>
        timeoutMs < 0 ? long.MaxValue : timeoutMs == 0 ? 0 : ReadinessWait.Deadline(timeoutMs / 1000, timeoutMs % 1000 * 1_000_000L);

    private static long WithMask(Task t, ulong maskAddr, ulong maskSize, int epfd, ulong eventsAddr, int maxEvents, long deadline)
    {
        int r = ReadinessWait.SetTemporaryMask(t, maskAddr, maskSize, out ulong oldMask, out bool changed);
        if (r < 0) return r;
        long result = Wait(t, epfd, eventsAddr, maxEvents, deadline);
        ReadinessWait.RestoreMask(t, oldMask, changed, result);
        return result;
    }

    private static long Wait(Task t, int epfd, ulong eventsAddr, int maxEvents, long deadline)
    {
        if (maxEvents <= 0 || maxEvents > MaxEvents) return -Errno.EINVAL;
        var file = t.Fds.GetRef(epfd);
        if (file is null) return -Errno.EBADF;
        try
        {
            if (file is not EpollFile ep) return -Errno.EINVAL;
            // Events are staged in the task's scratch buffer (no allocation), then copied out at once.
            int cap = Math.Min(maxEvents, t.Scratch.Length / EventSize);
            Span<byte> buf = t.Scratch.AsSpan(0, cap * EventSize);
            int n = ep.Harvest(buf, cap);
            if (n == 0 && deadline != 0)
            {
                var queue = ep.ReadinessQueue!;
                queue.Subscribe(t, Kernel.PollEvents.In);
                try
                {
                    while (true)
                    {
                        n = ep.Harvest(buf, cap);
                        if (n > 0) break;
                        // Host-backed registrations: wait in the host on the instance's host epoll
                        // (Sentry-side notifications still wake the task through its queue entry).
                        int hostEpfd = ep.HostEpollFd;
                        int r = hostEpfd >= 0
                            ? ReadinessWait.SleepOnHostFd(t, hostEpfd, deadline)
                            : ReadinessWait.Sleep(t, deadline);
                        if (r == -Errno.ETIMEDOUT) break;
                        if (r < 0) return r == -Errno.ERESTARTNOHAND ? -Errno.EINTR : r;
                    }
                }
                finally
                {
                    queue.Unsubscribe(t);
                }
            }
            if (n > 0 && t.CopyOut(eventsAddr, buf[..(n * EventSize)]) < 0) return -Errno.EFAULT;
            return n;
        }
        finally
        {
            file.DecRef();
        }
    }
}
