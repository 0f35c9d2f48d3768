using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>dup, dup2, dup3.</summary>
internal static class SysDup
{
    public static long Dup(Task t, in SyscallArguments a)
    {
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        return t.Fds.Add(f, cloexec: false);
    }

    public static long Dup2(Task t, in SyscallArguments a)
    {
        int oldFd = a.Int(0), newFd = a.Int(1);
        if (oldFd == newFd) return t.Fds.Get(oldFd) is null ? -Errno.EBADF : newFd;
        return DupTo(t, oldFd, newFd, cloexec: false);
    }

    public static long Dup3(Task t, in SyscallArguments a)
    {
        int oldFd = a.Int(0), newFd = a.Int(1), flags = a.Int(2);
        if ((flags & ~Libc.O_CLOEXEC) != 0 || oldFd == newFd) return -Errno.EINVAL;
        return DupTo(t, oldFd, newFd, (flags & Libc.O_CLOEXEC) != 0);
    }

    private static long DupTo(Task t, int oldFd, int newFd, bool cloexec)
    {
        var f = t.Fds.GetRef(oldFd);
        if (f is null) return -Errno.EBADF;
        return t.Fds.Set(newFd, f, cloexec);
    }
}
