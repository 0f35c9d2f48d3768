using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>An open tmpfs regular file.</summary>
public sealed class TmpfsFileDescription : FileDescription
{
    private readonly TmpfsRegularFile _file;

    public TmpfsFileDescription(TmpfsRegularFile file, int flags) : base(file, flags)
    {
        _file = file;
    }

    public override long Size => _file.Size;

    public override long Read(Kernel.Task task, Span<byte> buffer, long offset)
    {
        if (!Readable) return -Errno.EBADF;
        if (offset >= 0) return _file.ReadAt(buffer, offset);
        lock (OffsetLock)
        {
            int n = _file.ReadAt(buffer, Offset);
            if (n > 0) Offset += n;
            return n;
        }
    }

    public override long Write(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (!Writable) return -Errno.EBADF;
        bool append = (Flags & Libc.O_APPEND) != 0;
        if (offset >= 0) return _file.WriteAt(buffer, offset, append, out _);
        lock (OffsetLock)
        {
            int n = _file.WriteAt(buffer, Offset, append, out long at);
            if (n > 0) Offset = at + n;
            return n;
        }
    }

    public override long WriteBack(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset) =>
        _file.WriteAt(buffer, offset, append: false, out _, writeBack: true);

    public override int Truncate(long length)
    {
        if (!Writable) return -Errno.EINVAL;
        if (_file.Fs.ReadOnly) return -Errno.EROFS;
        return _file.Truncate(length);
    }

    public override int Allocate(int mode, long offset, long length)
    {
        if (_file.Fs.ReadOnly) return -Errno.EROFS;
        return _file.Allocate(mode, offset, length);
    }

    public override long FindDataOrHole(long offset, bool data) => _file.FindDataOrHole(offset, data);

    public override short Readiness(short mask) => (short)(mask & (Libc.POLLIN | Libc.POLLOUT));

    public override int HostFd
    {
        get
        {
            int fd = _file.HostFd();
            return fd < 0 ? -1 : fd;
        }
    }

    protected override void OnRelease() => _file.CloseOne();
}
