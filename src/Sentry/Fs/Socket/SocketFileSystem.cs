using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Socket;

/// <summary>sockfs: where every socket's inode lives (fstatfs reports SOCKFS_MAGIC; never mounted).</summary>
public sealed class SocketFileSystem : FileSystem
{
    public static readonly SocketFileSystem Instance = new();

    private SocketFileSystem() : base("sockfs", false)
    {
    }

    public override Inode Root => throw new NotSupportedException("sockfs has no root");
}
