using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>Common state of procfs inodes: a stable inode number, a mode and an owner; times are the boot time.</summary>
public abstract class ProcInode : Inode
{
    /// <summary>
    /// The default owner: the host's root as the container sees it (what the host kernel owns:
    /// 0, or 65534 in a user namespace). Files of a process or of the network namespace pass their
    /// owner explicitly.
    /// </summary>
    public const uint HostRoot = uint.MaxValue;

    protected ProcInode(ProcFileSystem fs, ulong ino, uint mode, uint uid = HostRoot, uint gid = HostRoot)
    {
        Fs = fs;
        Ino = ino;
        _mode = mode;
        Uid = uid == HostRoot ? fs.HostRootUid : uid;
        Gid = gid == HostRoot ? fs.HostRootGid : gid;
    }

    private readonly uint _mode;

    public ProcFileSystem Fs { get; }

    public ulong Ino { get; }

    public uint Uid { get; }

    public uint Gid { get; }

    public override FileSystem FileSystem => Fs;

    public override uint Mode => _mode;

    protected virtual long StatSize => 0;

    public override int GetStat(out StatBuf stat)
    {
        var t = Fs.BootTime;
        stat = StatFactory.Make(Fs.Dev, Ino, Mode, IsDirectory ? 2UL : 1UL, Uid, Gid, StatSize, t, t, t);
        stat.Blocks = 0;
        stat.Blksize = 1024;
        return 0;
    }

    public override int SetAttr(in SetAttrRequest request) => -Errno.EPERM;
}
