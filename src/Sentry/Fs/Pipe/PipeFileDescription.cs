using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pipe;

/// <summary>One end of a <see cref="Pipe"/> (read end, write end, or both for a FIFO opened O_RDWR).</summary>
public sealed class PipeFileDescription : FileDescription
{
    private readonly bool _reader, _writer;

    internal PipeFileDescription(Pipe pipe, Inode inode, int flags) : base(inode, flags)
    {
        Pipe = pipe;
        _reader = Readable;
        _writer = Writable;
    }

    public Pipe Pipe { get; }

    public override bool Seekable => false;

    public override long Size => 0;

    public override long Read(Kernel.Task task, Span<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        if (!_reader) return -Errno.EBADF;
        return Pipe.Read(task, buffer, NonBlocking);
    }

    public override long Write(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        if (!_writer) return -Errno.EBADF;
        return Pipe.Write(task, buffer, NonBlocking);
    }

    public override int Ioctl(Kernel.Task task, ulong request, ulong arg)
    {
        if (request != Pipe.FIONREAD) return -Errno.ENOTTY;
        int count = Pipe.Count;
        return task.WriteStruct(arg, count);
    }

    public override int Truncate(long length) => -Errno.EINVAL;

    public override short Readiness(short mask) => Pipe.Readiness(_reader, _writer, mask);

    public override WaitQueue? ReadinessQueue => Pipe.Queue;

    public override bool SignalsIo => true;

    protected override void OnRelease() => Pipe.Release(_reader, _writer);
}
