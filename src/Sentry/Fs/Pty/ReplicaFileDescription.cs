using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>An open replica of a <see cref="Pty"/>: /dev/pts/N, its TIOCGPTPEER, or /dev/tty naming it.</summary>
public sealed class ReplicaFileDescription(Pty pty, Inode node, int flags) : FileDescription(node, flags)
{
    public Pty Pty { get; } = pty;

    public override bool Seekable => false;

    public override bool SignalsBrokenPipe => false;

    public override long Size => 0;

    public override long Read(Kernel.Task task, Span<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        if (!Readable) return -Errno.EBADF;
        return Pty.ReplicaRead(task, buffer, NonBlocking);
    }

    public override long Write(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        if (!Writable) return -Errno.EBADF;
        return Pty.ReplicaWrite(task, buffer, NonBlocking);
    }

    public override long Seek(long offset, int whence) => -Errno.ESPIPE;

    public override int Ioctl(Kernel.Task task, ulong request, ulong arg) => Pty.Ioctl(task, this, master: false, request, arg);

    public override short Readiness(short mask) => Pty.ReplicaReadiness(mask);

    public override WaitQueue? ReadinessQueue => Pty.ReplicaQueue;

    public override bool SignalsIo => true;

    protected override void OnRelease() => Pty.ReplicaReleased();
}
