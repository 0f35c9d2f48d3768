using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>An open /dev/ptmx: the master side of its <see cref="Pty"/>. Its last close hangs the replica up.</summary>
public sealed class MasterFileDescription(Pty pty, Inode ptmxNode, int flags) : FileDescription(ptmxNode, flags)
{
    public Pty Pty { get; } = pty;

    public override bool Seekable => false;

    public override bool SignalsBrokenPipe => false;

    public override long Size => 0;

    public override long Read(Kernel.Task task, Span<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        if (!Readable) return -Errno.EBADF;
        return Pty.MasterRead(task, buffer, NonBlocking);
    }

    public override long Write(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        if (!Writable) return -Errno.EBADF;
        return Pty.MasterWrite(task, buffer, NonBlocking);
    }

    public override long Seek(long offset, int whence) => -Errno.ESPIPE;

    public override int Ioctl(Kernel.Task task, ulong request, ulong arg) => Pty.Ioctl(task, this, master: true, request, arg);

    public override short Readiness(short mask) => Pty.MasterReadiness(mask);

    public override WaitQueue? ReadinessQueue => Pty.MasterQueue;

    public override bool SignalsIo => true;

    protected override void OnRelease() => Pty.MasterReleased();
}
