using System.Globalization;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Pipe;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>/proc/&lt;pid&gt;/fd (a symlink per open fd) and /proc/&lt;pid&gt;/fdinfo (pos and flags per fd).</summary>
public sealed class ProcFdDirectory(ProcFileSystem fs, ProcPidDirectory process, bool info, ulong ino)
    : ProcDirectory(fs, ino, info ? 0x16Du : 0x140u /*0500*/, process.Uid, process.Gid)
{
    private int Kind => info ? ProcInodeNumber.FdInfoKind : ProcInodeNumber.FdKind;

    protected override int LookupDynamic(string name, out Inode? child)
    {
        child = null;
        if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int fd)) return -Errno.ENOENT;
        var task = process.Live();
        if (task?.Fds.Get(fd) is null) return -Errno.ENOENT;
        ulong childIno = ProcInodeNumber.Make(Kind, process.Group.Tgid, fd);
        if (info)
        {
            child = new ProcFile(Fs, childIno, () => process.Live()?.Fds.Get(fd) is { } f ? Encoding.UTF8.GetBytes(FdInfo(f)) : null,
                0x124, null, Uid, Gid);
        }
        else
        {
            child = new ProcFdLink(Fs, childIno, process, fd, Uid, Gid);
        }
        return 0;
    }

    protected override int ReadDirDynamic(List<DirEntry> into)
    {
        var task = process.Live();
        if (task is null) return -Errno.ESRCH;
        byte type = FileMode.DirentType(info ? FileMode.Regular : FileMode.Symlink);
        foreach (int fd in task.Fds.OpenFds())
            into.Add(new DirEntry(fd.ToString(CultureInfo.InvariantCulture), ProcInodeNumber.Make(Kind, process.Group.Tgid, fd), type));
        return 0;
    }

    /// <summary>What readlink of /proc/pid/fd/N shows for a description.</summary>
    public static string LinkTarget(FileDescription file)
    {
        if (file.Location is { } loc)
        {
            // An unlinked (or O_TMPFILE) regular file shows as Linux's d_path does.
            bool gone = file.Inode is { IsDirectory: false } i && FileMode.IsRegular(i.Mode) && i.GetStat(out StatBuf gst) == 0 && gst.Nlink == 0;
            return gone ? loc.AbsolutePath + " (deleted)" : loc.AbsolutePath;
        }
        var inode = file.Inode;
        if (inode is null) return file is Host.HostFileDescription host ? host.ProcLinkTarget : "anon_inode:[unknown]";
        if (inode is Tmpfs.TmpfsRegularFile { MemfdName: { } memfd }) return "/memfd:" + memfd + " (deleted)";
        inode.GetStat(out StatBuf st);
        if (inode is PipeInode) return $"pipe:[{st.Ino}]";
        return inode.FileSystem.Type switch
        {
            "sockfs" => $"socket:[{st.Ino}]",
            "pipefs" => $"pipe:[{st.Ino}]",
            var type => $"anon_inode:[{type}]",
        };
    }

    private static string FdInfo(FileDescription f)
    {
        long pos;
        lock (f.OffsetLock) pos = f.Offset;
        string flags = Convert.ToString(f.Flags | Libc.O_LARGEFILE, 8);
        return string.Create(CultureInfo.InvariantCulture, $"pos:\t{pos}\nflags:\t0{flags}\nmnt_id:\t1\nino:\t{(f.GetStat(out StatBuf st) == 0 ? st.Ino : 0)}\n");
    }
}
