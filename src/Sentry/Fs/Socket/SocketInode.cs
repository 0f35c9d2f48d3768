using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Socket;

/// <summary>
/// The inode of a socket in sockfs: fstat shows S_IFSOCK, 0777 and the creator's fs ids until
/// fchmod/fchown change them (bind of an AF_UNIX path takes its permissions from here);
/// /proc/self/fd shows socket:[ino].
/// </summary>
public sealed class SocketInode : Inode
{
    private uint _mode = FileMode.Socket | 0x1FF;
    private uint _uid, _gid;
    private Timespec _atime, _mtime, _ctime;

    /// <param name="ino">The inode number: a host socket's (so /proc/net tables match socket:[N]), or 0 for a fresh sockfs one.</param>
    public SocketInode(ulong ino = 0, uint uid = 0, uint gid = 0)
    {
        Ino = ino != 0 ? ino : SocketFileSystem.Instance.NextIno();
        _uid = uid;
        _gid = gid;
        _atime = _mtime = _ctime = MonotonicClock.Now();
    }

    /// <summary>A socket inode owned by the calling task's fs ids (or root outside a task).</summary>
    public static SocketInode ForCurrentTask(ulong ino = 0)
    {
        var creds = Kernel.Task.Current?.ThreadGroup.Creds;
        return new SocketInode(ino, creds?.Fsuid ?? 0, creds?.Fsgid ?? 0);
    }

    public ulong Ino { get; }

    public override FileSystem FileSystem => SocketFileSystem.Instance;

    public override uint Mode => Volatile.Read(ref _mode);

    public override int GetStat(out StatBuf stat)
    {
        lock (this)
        {
            stat = StatFactory.Make(SocketFileSystem.Instance.Dev, Ino, _mode, 1, _uid, _gid, 0, _atime, _mtime, _ctime);
        }
        stat.Blocks = 0;
        return 0;
    }

    public override int SetAttr(in SetAttrRequest request)
    {
        if ((request.Mask & SetAttrRequest.SizeBit) != 0) return -Errno.EINVAL;
        var now = MonotonicClock.Now();
        lock (this)
        {
            if ((request.Mask & SetAttrRequest.ModeBit) != 0) _mode = FileMode.Socket | (request.Mode & 0xFFF);
            if ((request.Mask & SetAttrRequest.UidBit) != 0) _uid = request.Uid;
            if ((request.Mask & SetAttrRequest.GidBit) != 0) _gid = request.Gid;
            if ((request.Mask & SetAttrRequest.AtimeBit) != 0 && request.Atime.Nsec != SetAttrRequest.UtimeOmit)
                _atime = request.Atime.Nsec == SetAttrRequest.UtimeNow ? now : request.Atime;
            if ((request.Mask & SetAttrRequest.MtimeBit) != 0 && request.Mtime.Nsec != SetAttrRequest.UtimeOmit)
                _mtime = request.Mtime.Nsec == SetAttrRequest.UtimeNow ? now : request.Mtime;
            _ctime = now;
        }
        return 0;
    }

    /// <summary>Sockets cannot be reopened through /proc/self/fd (ENXIO, as on Linux).</summary>
    public override int Open(int flags, out FileDescription? file)
    {
        file = null;
        return -Errno.ENXIO;
    }
}
