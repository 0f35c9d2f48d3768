using System.Globalization;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Dev;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// mount(2) and umount2(2) as far as the Sentry makes filesystems at run time: a new devpts
/// instance (`mount -t devpts devpts DIR -o newinstance,mode=...,ptmxmode=...,gid=...`, what
/// programs that want ptys of their own do), stacked over whatever is mounted there, and umount2 of
/// any mount of the container with Linux's checks (CAP_SYS_ADMIN, a mount root, EBUSY while open
/// files, working directories or mounts below use it; MNT_DETACH takes those along; MNT_EXPIRE's
/// two calls). Other filesystem types, remounts, binds, moves and propagation changes stay EPERM:
/// the rest of the mount table is made at start from config.json.
/// </summary>
internal static class SysMount
{
    private const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_NOATIME = 1024, MS_NODIRATIME = 2048,
        MS_SILENT = 0x8000, MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24;
    private const ulong MS_MGC_MSK = 0xffff0000, MS_MGC_VAL = 0xC0ED0000;
    private const ulong NewMountFlags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_SILENT | MS_RELATIME | MS_STRICTATIME;
    private const int MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;

    /// <summary>mount(source, target, fstype, flags, data).</summary>
    public static long Mount(Task t, in SyscallArguments a)
    {
        ulong flags = a.A3;
        if ((flags & MS_MGC_MSK) == MS_MGC_VAL) flags &= ~MS_MGC_MSK; // the old magic in the high half
        string source = "";
        if (a.A0 != 0)
        {
            int sr = t.CopyInString(a.A0, PathResolver.PathMax, out source);
            if (sr < 0) return sr;
        }
        int r = GuestPath.Read(t, a.A1, out string target);
        if (r < 0) return r;
        string fstype = "";
        if (a.A2 != 0)
        {
            r = t.CopyInString(a.A2, 4096, out fstype);
            if (r < 0) return r;
        }
        string data = "";
        if (a.A4 != 0)
        {
            r = t.CopyInString(a.A4, 4096, out data);
            if (r < 0) return r;
        }
        r = PathResolver.Resolve(t, Libc.AT_FDCWD, target, followFinal: true, out VfsPath? at);
        if (r < 0) return r;
        if (!Capabilities.Has(t, Capabilities.SYS_ADMIN)) return -Errno.EPERM;
        // Only a new mount of devpts is made at run time.
        if ((flags & ~NewMountFlags) != 0 || fstype != "devpts") return -Errno.EPERM;
        if (!at!.Inode.IsDirectory) return -Errno.ENOTDIR;
        r = DevptsOptions(data, out string fsOptions);
        if (r < 0) return r;

        var fs = DevFileSystem.CreateDevPts(fsOptions);
        var words = new List<string> { (flags & MS_RDONLY) != 0 ? "ro" : "rw" };
        if ((flags & MS_NOSUID) != 0) words.Add("nosuid");
        if ((flags & MS_NODEV) != 0) words.Add("nodev");
        if ((flags & MS_NOEXEC) != 0) words.Add("noexec");
        words.Add((flags & MS_NOATIME) != 0 ? "noatime" : (flags & MS_STRICTATIME) != 0 ? "strictatime" : "relatime");
        if (fsOptions.Length > 0) words.Add(fsOptions);
        var mount = new Mount(at.AbsolutePath, fs, fs.Root, (flags & MS_RDONLY) != 0, source.Length > 0 ? source : "none", string.Join(',', words));
        t.ThreadGroup.Container.Mounts.Push(mount);
        return 0;
    }

    /// <summary>
    /// devpts's own options (fs/devpts/inode.c parse_mount_options): newinstance (every mount is a new
    /// instance since Linux 4.7), mode= and ptmxmode= in octal, gid= in decimal; anything else EINVAL.
    /// uid= and max= are refused (EINVAL) rather than ignored: the Sentry's devpts has neither.
    /// </summary>
    private static int DevptsOptions(string data, out string options)
    {
        var kept = new List<string>();
        options = "";
        foreach (string opt in data.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = opt.IndexOf('=');
            string key = eq < 0 ? opt : opt[..eq], value = eq < 0 ? "" : opt[(eq + 1)..];
            switch (key)
            {
                case "newinstance" when eq < 0:
                    break;
                case "mode" or "ptmxmode" when value.Length > 0 && value.All(c => c is >= '0' and <= '7'):
                    kept.Add(opt);
                    break;
                case "gid" when uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _):
                    kept.Add(opt);
                    break;
                default:
                    return -Errno.EINVAL;
            }
        }
        // Linux's defaults for a new instance: mode=0600, ptmxmode=0000, no gid.
        options = string.Join(',', kept);
        return 0;
    }

    /// <summary>umount2(target, flags).</summary>
    public static long Umount2(Task t, in SyscallArguments a)
    {
        int flags = a.Int(1);
        if ((flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) != 0) return -Errno.EINVAL;
        int r = GuestPath.Read(t, a.A0, out string target);
        if (r < 0) return r;
        r = PathResolver.Resolve(t, Libc.AT_FDCWD, target, followFinal: (flags & UMOUNT_NOFOLLOW) == 0, out VfsPath? at);
        if (r < 0) return r;
        var mount = at!.Mount;
        var table = t.ThreadGroup.Container.Mounts;
        // Only the root of a mount of this container's table (the top one at its path) is unmounted.
        if (!ReferenceEquals(at.Inode, mount.Root) || at.AbsolutePath != mount.Path
            || !table.TryGet(mount.Path, out Mount top) || !ReferenceEquals(top, mount)) return -Errno.EINVAL;
        if (!Capabilities.Has(t, Capabilities.SYS_ADMIN)) return -Errno.EPERM;
        if (mount.Path == "/") return -Errno.EBUSY; // the container's root is everyone's root
        bool detach = (flags & MNT_DETACH) != 0;
        if ((flags & MNT_EXPIRE) != 0)
        {
            if ((flags & (MNT_FORCE | MNT_DETACH)) != 0) return -Errno.EINVAL;
            // The first call marks it; the second unmounts it if nothing used it (the Sentry does not see uses: the mark stays).
            if (!mount.ExpiryMarked)
            {
                mount.ExpiryMarked = true;
                return -Errno.EAGAIN;
            }
        }
        var below = table.Snapshot().Where(m => m.Path.StartsWith(mount.Path + "/", StringComparison.Ordinal)).ToList();
        if (!detach && (below.Count > 0 || InUse(t.Kernel, mount))) return -Errno.EBUSY;
        // MNT_DETACH: what is open stays usable; the mount and those below it leave the tree now.
        foreach (var m in below.OrderByDescending(m => m.Path.Length)) table.Unmount(m);
        table.Unmount(mount);
        return 0;
    }

    /// <summary>Whether an open file, a working directory or a root of any task is on the mount (do_umount's propagate_mount_busy).</summary>
    private static bool InUse(Kernel.Kernel kernel, Mount mount)
    {
        foreach (var g in kernel.Pids.Groups())
        {
            foreach (var task in g.TasksSnapshot())
            {
                if (ReferenceEquals(task.Fs.Cwd.Mount, mount) || ReferenceEquals(task.Fs.Root.Mount, mount)) return true;
                var fds = task.Fds;
                foreach (int fd in fds.OpenFds())
                    if (ReferenceEquals(fds.Get(fd)?.Location?.Mount, mount)) return true;
            }
        }
        return false;
    }
}
