using System.Globalization;
using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>/proc/&lt;pid&gt;/task: one directory per thread.</summary>
public sealed class ProcTaskDirectory(ProcFileSystem fs, ProcPidDirectory process, ulong ino)
    : ProcDirectory(fs, ino, 0x16D, process.Uid, process.Gid)
{
    protected override int LookupDynamic(string name, out Inode? child)
    {
        child = null;
        if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int tid)) return -Errno.ENOENT;
        foreach (var t in process.Group.TasksSnapshot())
        {
            if (t.Tid != tid) continue;
            child = new ProcPidDirectory(Fs, process.Group, t);
            return 0;
        }
        return -Errno.ENOENT;
    }

    protected override int ReadDirDynamic(List<DirEntry> into)
    {
        if (process.Live() is null) return -Errno.ESRCH;
        foreach (var t in process.Group.TasksSnapshot())
        {
            into.Add(new DirEntry(ProcPidDirectory.Str(t.Tid), ProcInodeNumber.Make(ProcInodeNumber.TaskKind, t.Tid, 0),
                FileMode.DirentType(FileMode.Directory)));
        }
        return 0;
    }
}
