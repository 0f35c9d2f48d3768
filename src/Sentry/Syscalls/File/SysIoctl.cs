using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>ioctl: the generic fd requests here, everything else goes to the file.</summary>
internal static class SysIoctl
{
    private const ulong FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIONBIO = 0x5421, FIOASYNC = 0x5452;

    /// <summary>sock_ioctl's owner requests (fcntl F_SETOWN/F_GETOWN by another name), sockets only.</summary>
    private const ulong FIOSETOWN = 0x8901, SIOCSPGRP = 0x8902, FIOGETOWN = 0x8903, SIOCGPGRP = 0x8904;

    public static long Ioctl(Task t, in SyscallArguments a)
    {
        int fd = a.Int(0);
        ulong request = (uint)a.A1;
        var f = t.Fds.GetRef(fd);
        if (f is null) return -Errno.EBADF;
        try
        {
            if ((f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
            switch (request)
            {
                case FIOCLEX:
                    return t.Fds.SetCloseOnExec(fd, true);
                case FIONCLEX:
                    return t.Fds.SetCloseOnExec(fd, false);
                case FIONBIO:
                {
                    int r = t.ReadStruct(a.A2, out int on);
                    if (r < 0) return r;
                    lock (f.OffsetLock) f.Flags = on != 0 ? f.Flags | Libc.O_NONBLOCK : f.Flags & ~Libc.O_NONBLOCK;
                    return 0;
                }
                case FIOASYNC:
                {
                    int r = t.ReadStruct(a.A2, out int on);
                    if (r < 0) return r;
                    const int O_ASYNC = 0x2000;
                    bool enable = on != 0 && f.SignalsIo;
                    if (enable != ((f.Flags & O_ASYNC) != 0)) f.Async.Enable(fd, enable);
                    lock (f.OffsetLock) f.Flags = enable ? f.Flags | O_ASYNC : f.Flags & ~O_ASYNC;
                    return 0;
                }
                case FIOSETOWN or SIOCSPGRP when f is Fs.Socket.SocketFile:
                {
                    int r = t.ReadStruct(a.A2, out int pid);
                    return r < 0 ? r : SysFcntl.SetOwn(t, f, pid);
                }
                case FIOGETOWN or SIOCGPGRP when f is Fs.Socket.SocketFile:
                    return t.WriteStruct(a.A2, SysFcntl.GetOwn(f));
                default:
                    return f.Ioctl(t, request, a.A2);
            }
        }
        finally
        {
            f.DecRef();
        }
    }
}
