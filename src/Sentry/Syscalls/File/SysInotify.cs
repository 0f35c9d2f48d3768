using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Csrunsc.Sentry.Vfs.Inotify;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch; fanotify_init (refused).</summary>
internal static class SysInotify
{
    public static long Init(Task t, in SyscallArguments a) => Create(t, 0);

    public static long Init1(Task t, in SyscallArguments a) => Create(t, a.Int(0));

    private static long Create(Task t, int flags)
    {
        if ((flags & ~(Libc.O_CLOEXEC | Libc.O_NONBLOCK)) != 0) return -Errno.EINVAL;
        uint owner = t.ThreadGroup.Creds.Uid;
        if (!Fsnotify.InstanceCreated(owner)) return -Errno.EMFILE;
        var file = new InotifyFile(flags, owner);
        long fd = t.Fds.Add(file, (flags & Libc.O_CLOEXEC) != 0);
        if (fd < 0) file.DecRef();
        return fd;
    }

    /// <summary>inotify_add_watch(fd, path, mask), checked in Linux's order: mask, fd, MASK_ADD with MASK_CREATE, an inotify fd, the path, read permission.</summary>
    public static long AddWatch(Task t, in SyscallArguments a)
    {
        uint mask = (uint)a.A2;
        if ((mask & InotifyMask.ValidWatchBits) == 0) return -Errno.EINVAL;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if ((mask & InotifyMask.MaskAdd) != 0 && (mask & InotifyMask.MaskCreate) != 0) return -Errno.EINVAL;
            if (f is not InotifyFile instance) return -Errno.EINVAL;
            int r = GuestPath.Read(t, a.A1, out string path);
            if (r < 0) return r;
            r = PathResolver.Resolve(t, Libc.AT_FDCWD, path, followFinal: (mask & InotifyMask.DontFollow) == 0, out VfsPath? p);
            if (r < 0) return r;
            if ((mask & InotifyMask.OnlyDir) != 0 && !p!.Inode.IsDirectory) return -Errno.ENOTDIR;
            r = FilePermissions.Check(t, p!.Inode, FilePermissions.MayRead);
            if (r < 0) return r;
            return Fsnotify.AddWatch(instance, WatchTarget.Of(p.Inode), mask);
        }
        finally
        {
            f.DecRef();
        }
    }

    /// <summary>fanotify_mark without an fanotify group: EBADF for a closed fd, EINVAL for any other (none can be made).</summary>
    public static long FanotifyMark(Task t, in SyscallArguments a) => t.Fds.Get(a.Int(0)) is null ? -Errno.EBADF : -Errno.EINVAL;

    public static long RmWatch(Task t, in SyscallArguments a)
    {
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (f is not InotifyFile instance) return -Errno.EINVAL;
            return Fsnotify.RemoveWatch(instance, a.Int(1));
        }
        finally
        {
            f.DecRef();
        }
    }
}
