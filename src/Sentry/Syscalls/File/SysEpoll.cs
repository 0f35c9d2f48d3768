using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait (level-triggered; see <see cref="EpollFile"/>).</summary>
internal static class SysEpoll
{
    private const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    private const int EventSize = 12;
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
        if (t.Fds.Get(a.Int(0)) is not { } epfile) return -Errno.EBADF;
        if (t.Fds.Get(fd) is not { } target) return -Errno.EBADF;
        if (epfile is not EpollFile ep || ReferenceEquals(target, ep)) return -Errno.EINVAL;
        if (target.Inode is { } inode && Vfs.FileMode.IsRegular(inode.Mode) || target.Inode?.IsDirectory == true) return -Errno.EPERM;
        uint events = 0;
        ulong data = 0;
        if (op != EPOLL_CTL_DEL)
        {
            Span<byte> ev = stackalloc byte[EventSize];
            if (t.CopyIn(a.A3, ev) < 0) return -Errno.EFAULT;
            events = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(ev);
            data = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(ev[4..]);
        }
        return op switch
        {
            EPOLL_CTL_ADD => ep.Add(fd, target, events, data),
            EPOLL_CTL_MOD => ep.Modify(fd, target, events, data),
            EPOLL_CTL_DEL => ep.Remove(fd, target),
            _ => -Errno.EINVAL,
        };
    }

    public static long EpollWait(Task t, in SyscallArguments a) => Wait(t, a.Int(0), a.A1, a.Int(2), a.Int(3));

    public static long EpollPwait(Task t, in SyscallArguments a)
    {
        int r = ReadinessWait.SetTemporaryMask(t, a.A4, a.A5, out ulong oldMask, out bool changed);
        if (r < 0) return r;
        long result = Wait(t, a.Int(0), a.A1, a.Int(2), a.Int(3));
        ReadinessWait.RestoreMask(t, oldMask, changed, result);
        return result;
    }

    private static long Wait(Task t, int epfd, ulong eventsAddr, int maxEvents, int timeoutMs)
    {
        if (maxEvents <= 0 || maxEvents > MaxEvents) return -Errno.EINVAL;
        if (t.Fds.Get(epfd) is not { } file) return -Errno.EBADF;
        if (file is not EpollFile ep) return -Errno.EINVAL;
        int cap = Math.Min(maxEvents, 256);
        Span<byte> buf = stackalloc byte[cap * EventSize];
        int n = ep.Scan(t, buf, cap);
        if (n == 0 && timeoutMs != 0)
        {
            long deadline = timeoutMs < 0 ? long.MaxValue : ReadinessWait.Deadline(timeoutMs / 1000, timeoutMs % 1000 * 1_000_000L);
            var files = ep.LiveFiles(t);
            foreach (var f in files) f.ReadinessQueue?.Subscribe(t);
            try
            {
                while (true)
                {
                    n = ep.Scan(t, buf, cap);
                    if (n > 0) break;
                    int r = ReadinessWait.Sleep(t, deadline);
                    if (r == -Errno.ETIMEDOUT) break;
                    if (r < 0) return r;
                }
            }
            finally
            {
                foreach (var f in files) f.ReadinessQueue?.Unsubscribe(t);
            }
        }
        if (n > 0 && t.CopyOut(eventsAddr, buf[..(n * EventSize)]) < 0) return -Errno.EFAULT;
        return n;
    }
}
