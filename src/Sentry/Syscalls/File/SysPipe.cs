using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>pipe, pipe2 (O_CLOEXEC, O_NONBLOCK; O_DIRECT packet mode is accepted and not honoured).</summary>
internal static class SysPipe
{
    public static long Pipe(Task t, in SyscallArguments a) => Create(t, a.A0, 0);

    public static long Pipe2(Task t, in SyscallArguments a) => Create(t, a.A0, a.Int(1));

    private static long Create(Task t, ulong addr, int flags)
    {
        if ((flags & ~(Libc.O_CLOEXEC | Libc.O_NONBLOCK | Libc.O_DIRECT)) != 0) return -Errno.EINVAL;
        Fs.Pipe.Pipe.Create(out FileDescription readEnd, out FileDescription writeEnd, flags & Libc.O_NONBLOCK);
        bool cloexec = (flags & Libc.O_CLOEXEC) != 0;
        int rfd = t.Fds.Add(readEnd, cloexec);
        if (rfd < 0)
        {
            writeEnd.DecRef();
            return rfd;
        }
        int wfd = t.Fds.Add(writeEnd, cloexec);
        if (wfd < 0)
        {
            t.Fds.Close(rfd);
            return wfd;
        }
        Span<int> fds = [rfd, wfd];
        int r = t.CopyOut(addr, System.Runtime.InteropServices.MemoryMarshal.AsBytes(fds));
        if (r < 0)
        {
            t.Fds.Close(rfd);
            t.Fds.Close(wfd);
            return r;
        }
        return 0;
    }
}
