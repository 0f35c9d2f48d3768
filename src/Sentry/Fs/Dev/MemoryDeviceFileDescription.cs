using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Dev;

/// <summary>
/// An open /dev/null, /dev/zero, /dev/full, /dev/random or /dev/urandom. Random bytes come from the
/// host's getrandom(2) (never blocks once the host pool is initialised). Reads and writes have no
/// position: the offset stays 0, as on Linux.
/// </summary>
public sealed unsafe class MemoryDeviceFileDescription(Inode node, int flags, MemoryDeviceKind kind) : FileDescription(node, flags)
{
    public MemoryDeviceKind Kind { get; } = kind;

    public override long Size => 0;

    public override long Read(Kernel.Task task, Span<byte> buffer, long offset)
    {
        if (!Readable) return -Errno.EBADF;
        switch (Kind)
        {
            case MemoryDeviceKind.Null:
                return 0;
            case MemoryDeviceKind.Zero:
            case MemoryDeviceKind.Full:
                buffer.Clear();
                return buffer.Length;
            default:
                return FillRandom(buffer);
        }
    }

    public override long Write(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (!Writable) return -Errno.EBADF;
        return Kind == MemoryDeviceKind.Full ? -Errno.ENOSPC : buffer.Length;
    }

    public override long Seek(long offset, int whence) => 0;

    public override int Truncate(long length) => 0;

    public override short Readiness(short mask) => (short)(mask & (Libc.POLLIN | Libc.POLLOUT));

    /// <summary>Fills buffer from the host's entropy pool; returns its length or -errno.</summary>
    public static long FillRandom(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = Libc.GetRandom(p + done, buffer.Length - done, 0);
                if (n < 0)
                {
                    if (Libc.LastErrno == Errno.EINTR) continue;
                    return done > 0 ? done : -Libc.LastErrno;
                }
                done += (int)n;
            }
        }
        return buffer.Length;
    }

    /// <summary>The driver entry point registered in <see cref="DeviceRegistry"/> for 1:minor.</summary>
    public static CharDeviceOpener OpenerFor(MemoryDeviceKind kind) => (Inode node, int f, out FileDescription? file) =>
    {
        file = new MemoryDeviceFileDescription(node, f, kind);
        return 0;
    };
}
