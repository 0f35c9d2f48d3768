using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>
/// A pidfd (pidfd_open, CLONE_PIDFD): a handle on one process. It polls readable once the process
/// has exited, and hangs up once it has been reaped; pidfd_send_signal and waitid(P_PIDFD) use it.
/// </summary>
internal sealed class PidFdFile : FileDescription
{
    public PidFdFile(ThreadGroup target, int flags)
        : base(null, Libc.O_RDWR | (flags & Libc.O_NONBLOCK))
    {
        Target = target;
    }

    public ThreadGroup Target { get; }

    public override bool Seekable => false;

    public override long Size => 0;

    public override WaitQueue? ReadinessQueue => Target.ExitEvents;

    /// <summary>Whether the process has been reaped (its pid is gone).</summary>
    public bool Reaped => Target.Kernel.Pids.GroupById(Target.Tgid) != Target;

    public override short Readiness(short mask)
    {
        const short POLLRDNORM = 0x40;
        short r = 0;
        bool reaped = Reaped;
        if (Target.Zombie || reaped) r |= Libc.POLLIN | POLLRDNORM;
        if (reaped) r |= Libc.POLLHUP; // as Linux since pidfs (6.9); 5.15 reported POLLIN only
        return (short)(r & (mask | Libc.POLLHUP));
    }
}
