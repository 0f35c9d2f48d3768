using Csrunsc.Sentry.Syscalls.File;

namespace Csrunsc.Sentry.Syscalls;

/// <summary>File, directory, descriptor and readiness syscalls (handlers in Syscalls/File).</summary>
public static partial class SyscallTable
{
    private static void RegisterFile()
    {
        // I/O
        Full(0, "read", SysRead.Read);
        Full(1, "write", SysWrite.Write);
        Full(17, "pread64", SysRead.PRead64);
        Full(18, "pwrite64", SysWrite.PWrite64);
        Full(19, "readv", SysRead.ReadV);
        Full(20, "writev", SysWrite.WriteV);
        Full(295, "preadv", SysRead.PReadV);
        Full(296, "pwritev", SysWrite.PWriteV);
        Partial(327, "preadv2", SysRead.PReadV2, "RWF_NOWAIT and RWF_APPEND answer EOPNOTSUPP");
        Partial(328, "pwritev2", SysWrite.PWriteV2, "RWF_NOWAIT and RWF_APPEND answer EOPNOTSUPP");
        Partial(8, "lseek", SysSeek.LSeek, "SEEK_DATA/SEEK_HOLE: tmpfs by page, rootfs and bind mounts on the host file, other files as having no holes; SEEK_END on a tmpfs or rootfs directory or a /proc file answers EINVAL");
        Partial(40, "sendfile", SysSendfile.Sendfile, "copies through a 64 KiB buffer; not atomic against concurrent offset changes");
        Partial(326, "copy_file_range", SysSplice.CopyFileRange, "regular files of one filesystem (one mount) copied by the Sentry; two filesystems answer EXDEV as Linux does, also for two bind mounts of one host filesystem");
        Partial(275, "splice", SysSplice.Splice, "pipe to pipe, pipe to any file or socket, any file or socket to a pipe, copied through the Sentry (SPLICE_F_MOVE/GIFT/MORE are hints); no page sharing");
        Partial(276, "tee", SysSplice.Tee, "copies the bytes (Linux shares the pages)");
        Partial(278, "vmsplice", SysSplice.Vmsplice, "copies the bytes (SPLICE_F_GIFT is a hint): a later change to the memory does not show in the pipe");

        // Descriptors
        Partial(2, "open", SysOpen.Open, "O_TMPFILE on tmpfs only (EOPNOTSUPP on the rootfs and bind mounts)");
        Partial(257, "openat", SysOpen.OpenAtCall, "O_TMPFILE on tmpfs only (EOPNOTSUPP on the rootfs and bind mounts)");
        Full(85, "creat", SysOpen.Creat);
        Partial(319, "memfd_create", SysMemfd.MemfdCreate, "MFD_HUGETLB and MFD_NOEXEC_SEAL (F_SEAL_EXEC) answer EINVAL");
        Full(3, "close", SysOpen.Close);
        Full(436, "close_range", SysOpen.CloseRange);
        Full(32, "dup", SysDup.Dup);
        Full(33, "dup2", SysDup.Dup2);
        Full(292, "dup3", SysDup.Dup3);
        Partial(72, "fcntl", SysFcntl.Fcntl,
            "record locks (POSIX and OFD) enforced across the sandbox with Linux's ranges, merging, close semantics and EDEADLK, not shared with host processes; leases answer EINVAL (as gVisor); F_SETOWN(_EX)/F_SETSIG with O_ASYNC signal the owner (thread, process or group, sigio_perm) when pipes, sockets, ptys, inotify and the caller's pipes/terminals become ready (SIGIO, or the F_SETSIG signal with POLL_* si_code, si_band and si_fd); dnotify's F_NOTIFY answers EINVAL; F_SETPIPE_SZ resizes the pipe (power-of-two pages, EBUSY if more is queued; no per-user pipe page limits); F_ADD_SEALS/F_GET_SEALS on tmpfs files and memfds (SEAL_SEAL/SHRINK/GROW/WRITE/FUTURE_WRITE enforced on write, truncate, fallocate and new shared writable mmaps; not on mprotect of an existing mapping; SEAL_WRITE answers EBUSY while any shared mapping exists, writable or not; F_SEAL_EXEC answers EINVAL)");
        Partial(73, "flock", SysLock.Flock, "enforced across the sandbox (keyed by filesystem and inode); not shared with host processes or between bind mounts of one host directory; LOCK_MAND ignored as Linux does");
        Partial(16, "ioctl", SysIoctl.Ioctl, "FIONBIO/FIOCLEX/FIONCLEX/FIOASYNC here (FIOASYNC as F_SETFL O_ASYNC), FIOSETOWN/SIOCSPGRP/FIOGETOWN/SIOCGPGRP on sockets (as F_SETOWN/F_GETOWN); everything else is the file's (ENOTTY by default). " +
            "Sentry ptys: TCGETS/TCSETS/TCSETSW/TCSETSF (and the termios2 forms), TIOCGWINSZ/TIOCSWINSZ, TIOCINQ/TIOCOUTQ, TCFLSH, TCXONC, " +
            "TCSBRK/TCSBRKP, TIOCSTI, TIOCEXCL/TIOCNXCL/TIOCGEXCL, TIOCGETD/TIOCSETD (N_TTY only), TIOCSCTTY (on a master: its replica), TIOCNOTTY, " +
            "TIOCGPGRP/TIOCSPGRP, TIOCGSID, TIOCVHANGUP, TIOCGPTN, TIOCSPTLCK/TIOCGPTLCK, TIOCGPTPEER, TIOCPKT/TIOCGPKT");
        Partial(22, "pipe", SysPipe.Pipe, "see pipe2");
        Partial(293, "pipe2", SysPipe.Pipe2, "O_DIRECT (packet mode) is accepted but the pipe stays a byte stream");
        Full(284, "eventfd", SysEventFd.EventFd);
        Full(290, "eventfd2", SysEventFd.EventFd2);
        Partial(253, "inotify_init", SysInotify.Init, "see inotify_add_watch");
        Partial(294, "inotify_init1", SysInotify.Init1, "see inotify_add_watch");
        Partial(254, "inotify_add_watch", SysInotify.AddWatch,
            "every IN_* event for changes made inside the sandbox (not for changes by host processes to the rootfs or bind mounts); " +
            "no IN_UNMOUNT (the mount table is fixed); a description's parent events follow the name it was opened by, not a later rename");
        Full(255, "inotify_rm_watch", SysInotify.RmWatch);
        Error(300, "fanotify_init", Native.Errno.EPERM, "fanotify is not offered (what an unprivileged container gets)");
        Partial(301, "fanotify_mark", SysInotify.FanotifyMark, "no fanotify group can exist: EBADF or EINVAL");
        Full(213, "epoll_create", SysEpoll.EpollCreate);
        Full(291, "epoll_create1", SysEpoll.EpollCreate1);
        Partial(233, "epoll_ctl", SysEpoll.EpollCtl, "EPOLLWAKEUP accepted without effect (no suspend in a sandbox)");
        Full(232, "epoll_wait", SysEpoll.EpollWait);
        Full(281, "epoll_pwait", SysEpoll.EpollPwait);
        Full(441, "epoll_pwait2", SysEpoll.EpollPwait2);

        // Metadata
        Full(5, "fstat", SysStat.FStat);
        Full(4, "stat", SysStat.Stat);
        Full(6, "lstat", SysStat.LStat);
        Full(262, "newfstatat", SysStat.NewFStatAt);
        Partial(332, "statx", SysStat.Statx, "basic stats only: no btime, attributes or mount id");
        Full(21, "access", SysAccess.Access);
        Full(269, "faccessat", SysAccess.FAccessAt);
        Full(439, "faccessat2", SysAccess.FAccessAt2);
        Full(90, "chmod", SysChmod.Chmod);
        Full(91, "fchmod", SysChmod.FChmod);
        Full(268, "fchmodat", SysChmod.FChmodAt);
        Full(92, "chown", SysChmod.Chown);
        Full(93, "fchown", SysChmod.FChown);
        Full(94, "lchown", SysChmod.LChown);
        Full(260, "fchownat", SysChmod.FChownAt);
        Full(76, "truncate", SysTruncate.Truncate);
        Full(77, "ftruncate", SysTruncate.FTruncate);
        Partial(285, "fallocate", SysTruncate.FAllocate, "tmpfs: mode 0, KEEP_SIZE and PUNCH_HOLE by page (other modes EOPNOTSUPP, as Linux's tmpfs; allocated pages beyond written data are not charged to size=); rootfs and bind mounts: every mode, done on the host file; /proc, /sys and the rest: mode 0 grows the size");
        Full(280, "utimensat", SysUtime.UtimensAt);
        Full(235, "utimes", SysUtime.Utimes);
        Full(132, "utime", SysUtime.Utime);
        Full(261, "futimesat", SysUtime.FutimesAt);
        Partial(137, "statfs", SysStatfs.StatFs, "plausible constant sizes; f_type per filesystem type");
        Partial(138, "fstatfs", SysStatfs.FStatFs, "plausible constant sizes; f_type per filesystem type");
        Partial(191, "getxattr", SysXattr.GetXattr, "tmpfs keeps user.*/trusted.*/security.* in memory with Linux's checks; system.* (POSIX ACLs) EOPNOTSUPP; no ENOSPC budget; rootfs, proc, sys store none (ENODATA)");
        Partial(192, "lgetxattr", SysXattr.LGetXattr, "tmpfs keeps user.*/trusted.*/security.* in memory with Linux's checks; system.* (POSIX ACLs) EOPNOTSUPP; no ENOSPC budget; rootfs, proc, sys store none (ENODATA)");
        Partial(193, "fgetxattr", SysXattr.FGetXattr, "tmpfs keeps user.*/trusted.*/security.* in memory with Linux's checks; system.* (POSIX ACLs) EOPNOTSUPP; no ENOSPC budget; rootfs, proc, sys store none (ENODATA)");
        Partial(194, "listxattr", SysXattr.ListXattr, "tmpfs lists its names (trusted.* only with CAP_SYS_ADMIN); other filesystems an empty list");
        Partial(195, "llistxattr", SysXattr.LListXattr, "tmpfs lists its names (trusted.* only with CAP_SYS_ADMIN); other filesystems an empty list");
        Partial(196, "flistxattr", SysXattr.FListXattr, "tmpfs lists its names (trusted.* only with CAP_SYS_ADMIN); other filesystems an empty list");
        Partial(188, "setxattr", SysXattr.SetXattr, "tmpfs stores user.*/trusted.*/security.* (security.capability needs CAP_SETFCAP and a revision 2/3 value, and is what execve reads as file capabilities; writes and chown do not remove it; system.* ACLs EOPNOTSUPP, no ENOSPC budget); other filesystems EOPNOTSUPP");
        Partial(189, "lsetxattr", SysXattr.LSetXattr, "tmpfs stores user.*/trusted.*/security.* (security.capability needs CAP_SETFCAP and a revision 2/3 value, and is what execve reads as file capabilities; writes and chown do not remove it; system.* ACLs EOPNOTSUPP, no ENOSPC budget); other filesystems EOPNOTSUPP");
        Partial(190, "fsetxattr", SysXattr.FSetXattr, "tmpfs stores user.*/trusted.*/security.* (security.capability needs CAP_SETFCAP and a revision 2/3 value, and is what execve reads as file capabilities; writes and chown do not remove it; system.* ACLs EOPNOTSUPP, no ENOSPC budget); other filesystems EOPNOTSUPP");
        Partial(197, "removexattr", SysXattr.RemoveXattr, "tmpfs removes; other filesystems ENODATA");
        Partial(198, "lremovexattr", SysXattr.LRemoveXattr, "tmpfs removes; other filesystems ENODATA");
        Partial(199, "fremovexattr", SysXattr.FRemoveXattr, "tmpfs removes; other filesystems ENODATA");

        // Directories and names
        Full(217, "getdents64", SysGetdents.GetDents64);
        Full(78, "getdents", SysGetdents.GetDents);
        Full(79, "getcwd", SysCwd.GetCwd);
        Full(80, "chdir", SysCwd.ChDir);
        Full(81, "fchdir", SysCwd.FChDir);
        Partial(161, "chroot", SysCwd.ChRoot, "changes the root of the calling task's fs context; CAP_SYS_CHROOT");
        Full(83, "mkdir", SysMkdir.Mkdir);
        Full(258, "mkdirat", SysMkdir.MkdirAtCall);
        Partial(133, "mknod", SysMkdir.Mknod, "device nodes need CAP_MKNOD and a registered driver to open");
        Partial(259, "mknodat", SysMkdir.MknodAtCall, "device nodes need CAP_MKNOD and a registered driver to open");
        Full(84, "rmdir", SysUnlink.RmDir);
        Full(87, "unlink", SysUnlink.Unlink);
        Full(263, "unlinkat", SysUnlink.UnlinkAtCall);
        Full(82, "rename", SysRename.Rename);
        Full(264, "renameat", SysRename.RenameAtCall);
        Partial(316, "renameat2", SysRename.RenameAt2, "RENAME_EXCHANGE and RENAME_WHITEOUT answer EINVAL");
        Full(86, "link", SysLink.Link);
        Full(265, "linkat", SysLink.LinkAtCall);
        Full(88, "symlink", SysLink.Symlink);
        Full(266, "symlinkat", SysLink.SymlinkAtCall);
        Full(89, "readlink", SysReadlink.ReadLink);
        Full(267, "readlinkat", SysReadlink.ReadLinkAtCall);

        // Sync
        Full(74, "fsync", SysSync.FSync);
        Full(75, "fdatasync", SysSync.FSync);
        Full(162, "sync", SysSync.Sync);
        Full(306, "syncfs", SysSync.SyncFs);
        Full(221, "fadvise64", SysSync.FAdvise64);

        // Readiness
        Full(7, "poll", SysPoll.Poll);
        Full(271, "ppoll", SysPoll.PPoll);
        Full(23, "select", SysSelect.Select);
        Full(270, "pselect6", SysSelect.PSelect6);
    }
}
