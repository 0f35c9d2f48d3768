using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Pipe;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Socket;

/// <summary>The inode of an anonymous socket: fstat shows S_IFSOCK; /proc/self/fd shows socket:[ino].</summary>
public sealed class SocketInode : Inode
{
    private readonly Timespec _created = MonotonicClock.Now();

    public SocketInode()
    {
        Ino = PipeFileSystem.Instance.NextIno();
    }

    /// <summary>A socket with a given inode number (a host socket's, so /proc/net tables match socket:[N]); 0 picks a fresh one.</summary>
    public SocketInode(ulong ino)
    {
        Ino = ino != 0 ? ino : PipeFileSystem.Instance.NextIno();
    }

    public ulong Ino { get; }

    public override FileSystem FileSystem => PipeFileSystem.Instance;

    public override uint Mode => FileMode.Socket | 0x1FF;

    public override int GetStat(out StatBuf stat)
    {
        stat = StatFactory.Make(PipeFileSystem.Instance.Dev, Ino, Mode, 1, 0, 0, 0, _created, _created, _created);
        stat.Blocks = 0;
        return 0;
    }

    /// <summary>Sockets cannot be reopened through /proc/self/fd (ENXIO, as on Linux).</summary>
    public override int Open(int flags, out FileDescription? file)
    {
        file = null;
        return -Errno.ENXIO;
    }
}
