using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Sys;

/// <summary>A read-only sysfs file whose contents are generated at open (null: it is gone, ENOENT).</summary>
public sealed class SysGeneratedFile(FileSystem fs, Func<byte[]?> generate) : Inode
{
    private readonly ulong _ino = fs.NextIno();
    private readonly Timespec _time = MonotonicClock.Now();

    public override FileSystem FileSystem => fs;

    public override uint Mode => FileMode.Regular | 0x124; // 0444

    public override int GetStat(out StatBuf stat)
    {
        stat = StatFactory.Make(fs.Dev, _ino, Mode, 1, 0, 0, 4096, _time, _time, _time);
        return 0;
    }

    public override int Open(int flags, out FileDescription? file)
    {
        file = null;
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(this, flags);
            return 0;
        }
        if ((flags & Libc.O_ACCMODE) != Libc.O_RDONLY) return -Errno.EACCES;
        byte[]? data = generate();
        if (data is null) return -Errno.ENOENT;
        file = new Proc.SnapshotFileDescription(this, flags, data, null);
        return 0;
    }
}

/// <summary>A read-only sysfs directory whose entries are listed when looked at (interfaces come and go).</summary>
public sealed class SysGeneratedDirectory(FileSystem fs, Func<IReadOnlyDictionary<string, Inode>> entries) : Inode
{
    private readonly ulong _ino = fs.NextIno();
    private readonly Timespec _time = MonotonicClock.Now();

    public override FileSystem FileSystem => fs;

    public override uint Mode => FileMode.Directory | 0x16D; // 0555

    public override int GetStat(out StatBuf stat)
    {
        stat = StatFactory.Make(fs.Dev, _ino, Mode, 2, 0, 0, 0, _time, _time, _time);
        return 0;
    }

    public override int Open(int flags, out FileDescription? file) => DirectoryFileDescription.Open(this, flags, out file);

    public override int Lookup(string name, out Inode? child)
    {
        return entries().TryGetValue(name, out child) ? 0 : -Errno.ENOENT;
    }

    public override int ReadDir(List<DirEntry> into)
    {
        foreach (var (name, node) in entries())
        {
            node.GetStat(out StatBuf st);
            into.Add(new DirEntry(name, st.Ino, FileMode.DirentType(st.Mode)));
        }
        return 0;
    }
}
