using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>
/// An open generated file: reads (and seeks) work on the snapshot taken at open, so a reader sees
/// one consistent version however it splits its reads. Writes go to the file's handler.
/// </summary>
public sealed class SnapshotFileDescription(Inode inode, int flags, byte[] data, Func<ReadOnlySpan<byte>, int>? write)
    : FileDescription(inode, flags)
{
    public override long Size => data.Length;

    public override long Read(Kernel.Task task, Span<byte> buffer, long offset)
    {
        if (!Readable) return -Errno.EBADF;
        if (offset >= 0) return CopyAt(buffer, offset);
        lock (OffsetLock)
        {
            long n = CopyAt(buffer, Offset);
            Offset += n;
            return n;
        }
    }

    public override long Write(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (!Writable) return -Errno.EBADF;
        if (write is null) return -Errno.EACCES;
        return write(buffer);
    }

    public override int Truncate(long length) => write is null ? -Errno.EACCES : 0;

    /// <summary>seq_lseek: SEEK_SET and SEEK_CUR only (a /proc file has no end to seek from).</summary>
    public override long Seek(long offset, int whence) => whence == Libc.SEEK_END ? -Errno.EINVAL : base.Seek(offset, whence);

    private int CopyAt(Span<byte> buffer, long offset)
    {
        if (offset >= data.Length) return 0;
        int n = (int)Math.Min(buffer.Length, data.Length - offset);
        data.AsSpan((int)offset, n).CopyTo(buffer);
        return n;
    }
}
