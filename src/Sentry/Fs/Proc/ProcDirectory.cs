using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>A procfs directory with a fixed set of entries (built once; per-process directories build theirs on lookup).</summary>
public class ProcDirectory : ProcInode
{
    private readonly Dictionary<string, Inode> _entries = new(StringComparer.Ordinal);

    public ProcDirectory(ProcFileSystem fs, ulong ino, uint perm = 0x16D /*0555*/, uint uid = ProcInode.HostRoot, uint gid = ProcInode.HostRoot)
        : base(fs, ino, FileMode.Directory | perm, uid, gid)
    {
    }

    public void Add(string name, Inode node) => _entries[name] = node;

    public override int Open(int flags, out FileDescription? file) => DirectoryFileDescription.Open(this, flags, out file);

    public override int Lookup(string name, out Inode? child)
    {
        if (_entries.TryGetValue(name, out child)) return 0;
        return LookupDynamic(name, out child);
    }

    public override int ReadDir(List<DirEntry> into)
    {
        foreach (var (name, node) in _entries)
        {
            node.GetStat(out StatBuf st);
            into.Add(new DirEntry(name, st.Ino, FileMode.DirentType(st.Mode)));
        }
        return ReadDirDynamic(into);
    }

    /// <summary>Entries that come and go (pids, fds): looked up after the fixed ones.</summary>
    protected virtual int LookupDynamic(string name, out Inode? child)
    {
        child = null;
        return -Errno.ENOENT;
    }

    protected virtual int ReadDirDynamic(List<DirEntry> into) => 0;

    public override int Create(string name, int flags, uint mode, uint uid, uint gid, out Inode? child, out FileDescription? file)
    {
        child = null;
        file = null;
        return -Errno.EACCES;
    }

    public override int Mkdir(string name, uint mode, uint uid, uint gid) => -Errno.EACCES;
    public override int Mknod(string name, uint mode, ulong dev, uint uid, uint gid) => -Errno.EACCES;
    public override int Symlink(string name, string target, uint uid, uint gid) => -Errno.EACCES;
    public override int Unlink(string name, bool dir) => -Errno.EACCES;
}
