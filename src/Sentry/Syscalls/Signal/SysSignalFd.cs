using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Signalfd;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Signal;

/// <summary>signalfd, signalfd4.</summary>
internal static class SysSignalFd
{
    public const int SFD_CLOEXEC = Libc.O_CLOEXEC, SFD_NONBLOCK = Libc.O_NONBLOCK;

    public static long Signalfd(Task t, in SyscallArguments a) => Create(t, a.Int(0), a.A1, a.A2, 0);

    public static long Signalfd4(Task t, in SyscallArguments a) => Create(t, a.Int(0), a.A1, a.A2, a.Int(3));

    private static long Create(Task t, int fd, ulong maskAddr, ulong size, int flags)
    {
        if ((flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) != 0) return -Errno.EINVAL;
        if (size != 8) return -Errno.EINVAL;
        if (t.ReadStruct(maskAddr, out ulong mask) < 0) return -Errno.EFAULT;
        mask &= ~(Task.Bit(Libc.SIGKILL) | Task.Bit(Libc.SIGSTOP));
        if (fd == -1)
        {
            var file = new SignalFdFile(t.ThreadGroup, mask, flags);
            int nfd = t.Fds.Add(file, (flags & SFD_CLOEXEC) != 0);
            if (nfd < 0) file.DecRef();
            return nfd;
        }
        var f = t.Fds.GetRef(fd);
        if (f is null) return -Errno.EBADF;
        try
        {
            if (f is not SignalFdFile sf) return -Errno.EINVAL;
            sf.Mask = mask;
            return fd;
        }
        finally
        {
            f.DecRef();
        }
    }
}
