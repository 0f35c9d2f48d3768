using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>eventfd, eventfd2.</summary>
internal static class SysEventFd
{
    public static long EventFd(Task t, in SyscallArguments a) => Create(t, (uint)a.A0, 0);

    public static long EventFd2(Task t, in SyscallArguments a) => Create(t, (uint)a.A0, a.Int(1));

    private static long Create(Task t, uint initial, int flags)
    {
        if ((flags & ~(EventFdFile.EFD_SEMAPHORE | Libc.O_CLOEXEC | Libc.O_NONBLOCK)) != 0) return -Errno.EINVAL;
        var file = new EventFdFile(initial, flags);
        return t.Fds.Add(file, (flags & Libc.O_CLOEXEC) != 0);
    }
}
