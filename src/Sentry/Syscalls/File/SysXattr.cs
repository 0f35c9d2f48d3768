using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// Extended attributes (fs/xattr.c). Filesystems that keep them in memory (tmpfs: <see cref="Inode.Xattrs"/>)
/// store user.*, trusted.* (CAP_SYS_ADMIN) and security.* (CAP_SYS_ADMIN to change; security.capability:
/// CAP_SETFCAP and a revision 2/3 value, read back as Linux shows it, see Kernel/FileCapabilities) names with
/// Linux's checks in its order: flags (EINVAL), name length (ERANGE), value size (E2BIG), the path,
/// EROFS, xattr_permission (user.* only on regular files and directories, sticky directories
/// owner-only, then read/write permission), the namespace (EOPNOTSUPP unknown, EINVAL empty
/// suffix). Others store none: get/remove ENODATA, list empty, set EOPNOTSUPP.
/// </summary>
internal static class SysXattr
{
    private const int XattrNameMax = 255, XattrSizeMax = 65536, XattrListMax = 65536;

    public static long GetXattr(Task t, in SyscallArguments a) => Get(t, OnPath(t, a.A0, follow: true), a.A1, a.A2, (long)a.A3);

    public static long LGetXattr(Task t, in SyscallArguments a) => Get(t, OnPath(t, a.A0, follow: false), a.A1, a.A2, (long)a.A3);

    public static long FGetXattr(Task t, in SyscallArguments a) => Get(t, OnFd(t, a.Int(0)), a.A1, a.A2, (long)a.A3);

    public static long ListXattr(Task t, in SyscallArguments a) => List(t, OnPath(t, a.A0, follow: true), a.A1, (long)a.A2);

    public static long LListXattr(Task t, in SyscallArguments a) => List(t, OnPath(t, a.A0, follow: false), a.A1, (long)a.A2);

    public static long FListXattr(Task t, in SyscallArguments a) => List(t, OnFd(t, a.Int(0)), a.A1, (long)a.A2);

    public static long SetXattr(Task t, in SyscallArguments a)
    {
        ulong path = a.A0;
        return Set(t, a, () => OnPath(t, path, follow: true));
    }

    public static long LSetXattr(Task t, in SyscallArguments a)
    {
        ulong path = a.A0;
        return Set(t, a, () => OnPath(t, path, follow: false));
    }

    public static long FSetXattr(Task t, in SyscallArguments a)
    {
        int fd = a.Int(0);
        return Set(t, a, () => OnFd(t, fd));
    }

    public static long RemoveXattr(Task t, in SyscallArguments a) => Remove(t, OnPath(t, a.A0, follow: true), a.A1);

    public static long LRemoveXattr(Task t, in SyscallArguments a) => Remove(t, OnPath(t, a.A0, follow: false), a.A1);

    public static long FRemoveXattr(Task t, in SyscallArguments a) => Remove(t, OnFd(t, a.Int(0)), a.A1);

    /// <summary>The target: its inode, where it was reached (null for an fd without a path) and whether that is read-only; or -errno.</summary>
    private readonly record struct Target(int Error, Inode? Inode, VfsPath? Location, bool ReadOnly);

    private static Target OnPath(Task t, ulong pathAddr, bool follow)
    {
        int r = GuestPath.Read(t, pathAddr, out string path);
        if (r < 0) return new Target(r, null, null, false);
        r = PathResolver.Resolve(t, Libc.AT_FDCWD, path, follow, out VfsPath? p);
        if (r < 0) return new Target(r, null, null, false);
        return new Target(0, p!.Inode, p, PathResolver.IsReadOnly(p));
    }

    private static Target OnFd(Task t, int fd)
    {
        var f = t.Fds.Get(fd);
        if (f is null || (f.Flags & Libc.O_PATH) != 0 || f.Inode is null) return new Target(-Errno.EBADF, null, null, false);
        bool ro = f.Location is { } p ? PathResolver.IsReadOnly(p) : f.Inode.FileSystem.ReadOnly;
        return new Target(0, f.Inode, f.Location, ro);
    }

    /// <summary>import_xattr_name: 1 to 255 bytes, else ERANGE (EFAULT on a bad pointer).</summary>
    private static int ReadName(Task t, ulong addr, out string name)
    {
        name = "";
        if (addr == 0) return -Errno.EFAULT;
        int r = t.CopyInString(addr, XattrNameMax + 1, out name);
        if (r == -Errno.ENAMETOOLONG) return -Errno.ERANGE;
        if (r < 0) return r;
        return name.Length == 0 ? -Errno.ERANGE : 0;
    }

    private static bool IsPrefix(string name, string prefix) => name.StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>xattr_resolve_name for the in-memory store: 0 for user./trusted./security. with a suffix, EINVAL without one, EOPNOTSUPP otherwise (system.* ACLs are not kept).</summary>
    private static int ResolveNamespace(string name)
    {
        foreach (var prefix in (ReadOnlySpan<string>)["user.", "trusted.", "security."])
            if (IsPrefix(name, prefix)) return name.Length == prefix.Length ? -Errno.EINVAL : 0;
        return -Errno.EOPNOTSUPP;
    }

    /// <summary>xattr_permission, then (for writes) the capability LSM's security.* rule.</summary>
    private static int Permission(Task t, Inode inode, string name, bool write)
    {
        if (IsPrefix(name, "security.") || IsPrefix(name, "system."))
        {
            // cap_convert_nscap / cap_inode_removexattr: file capabilities need CAP_SETFCAP.
            if (write && name == Kernel.FileCapabilities.XattrName) return Capabilities.Has(t, Capabilities.SETFCAP) ? 0 : -Errno.EPERM;
            // cap_inode_setxattr/removexattr: changing security.* needs CAP_SYS_ADMIN.
            return write && IsPrefix(name, "security.") && !Capabilities.Has(t, Capabilities.SYS_ADMIN) ? -Errno.EPERM : 0;
        }
        if (IsPrefix(name, "trusted."))
        {
            if (!Capabilities.Has(t, Capabilities.SYS_ADMIN)) return write ? -Errno.EPERM : -Errno.ENODATA;
            return 0;
        }
        if (IsPrefix(name, "user."))
        {
            uint mode = inode.Mode;
            if (!FileMode.IsRegular(mode) && !FileMode.IsDir(mode)) return write ? -Errno.EPERM : -Errno.ENODATA;
            if (write && FileMode.IsDir(mode) && (mode & 0x200 /* S_ISVTX */) != 0 && !FilePermissions.IsOwnerOrRoot(t, inode)) return -Errno.EPERM;
        }
        return FilePermissions.Check(t, inode, write ? FilePermissions.MayWrite : FilePermissions.MayRead);
    }

    private static long Get(Task t, Target target, ulong nameAddr, ulong valueAddr, long size)
    {
        if (target.Error < 0) return target.Error;
        int r = ReadName(t, nameAddr, out string name);
        if (r < 0) return r;
        var store = target.Inode!.Xattrs;
        if (store is null) return -Errno.ENODATA;
        r = Permission(t, target.Inode, name, write: false);
        if (r < 0) return r;
        r = ResolveNamespace(name);
        if (r < 0) return r;
        if (name == FileCapabilities.XattrName) return GetFileCapabilities(t, store, valueAddr, size);
        if (size == 0) return store.Get(name, default, sizeOnly: true);
        int cap = (int)Math.Min((ulong)size, XattrSizeMax);
        byte[] buf = new byte[cap];
        int n = store.Get(name, buf, sizeOnly: false);
        if (n == -Errno.ERANGE && (ulong)size >= XattrSizeMax) return -Errno.E2BIG;
        if (n < 0) return n;
        return t.CopyOut(valueAddr, buf.AsSpan(0, n)) < 0 ? -Errno.EFAULT : n;
    }

    /// <summary>cap_inode_getsecurity: a revision 3 value whose root id is 0 (this namespace's root) reads back as revision 2.</summary>
    private static long GetFileCapabilities(Task t, XattrStore store, ulong valueAddr, long size)
    {
        int n = store.Get(FileCapabilities.XattrName, default, sizeOnly: true);
        if (n < 0) return n;
        byte[] buf = new byte[n];
        n = store.Get(FileCapabilities.XattrName, buf, sizeOnly: false);
        if (n < 0) return n;
        n = FileCapabilities.ForGetxattr(buf);
        if (size == 0) return n;
        if (size < n) return -Errno.ERANGE;
        return t.CopyOut(valueAddr, buf.AsSpan(0, n)) < 0 ? -Errno.EFAULT : n;
    }

    private static long List(Task t, Target target, ulong listAddr, long size)
    {
        if (target.Error < 0) return target.Error;
        var store = target.Inode!.Xattrs;
        if (store is null) return 0;
        bool trusted = Capabilities.Has(t, Capabilities.SYS_ADMIN);
        var names = new List<string>();
        store.List(names, n => trusted || !IsPrefix(n, "trusted."));
        int total = 0;
        foreach (var n in names) total += System.Text.Encoding.UTF8.GetByteCount(n) + 1;
        if (size == 0) return total;
        ulong cap = Math.Min((ulong)size, XattrListMax);
        if ((ulong)total > cap) return (ulong)size >= XattrListMax ? -Errno.E2BIG : -Errno.ERANGE;
        byte[] buf = new byte[total];
        int at = 0;
        foreach (var n in names)
        {
            at += System.Text.Encoding.UTF8.GetBytes(n, buf.AsSpan(at));
            buf[at++] = 0;
        }
        return t.CopyOut(listAddr, buf) < 0 ? -Errno.EFAULT : total;
    }

    private static long Set(Task t, in SyscallArguments a, Func<Target> resolve)
    {
        int flags = a.Int(4);
        if ((flags & ~(XattrStore.XATTR_CREATE | XattrStore.XATTR_REPLACE)) != 0) return -Errno.EINVAL;
        int r = ReadName(t, a.A1, out string name);
        if (r < 0) return r;
        ulong size = a.A3;
        if (size > XattrSizeMax) return -Errno.E2BIG;
        byte[] value = new byte[size];
        if (size > 0 && t.CopyIn(a.A2, value) < 0) return -Errno.EFAULT;
        var target = resolve();
        if (target.Error < 0) return target.Error;
        if (target.ReadOnly) return -Errno.EROFS;
        var store = target.Inode!.Xattrs;
        // vfs_setxattr's cap_convert_nscap: a file capability value must be a revision 2 or 3 header of its size.
        if (size > 0 && name == Kernel.FileCapabilities.XattrName && !Kernel.FileCapabilities.ValidHeader(value)) return -Errno.EINVAL;
        r = Permission(t, target.Inode, name, write: true);
        if (r < 0) return r;
        if (store is null) return -Errno.EOPNOTSUPP;
        r = ResolveNamespace(name);
        if (r < 0) return r;
        r = store.Set(name, value, flags);
        if (r == 0) Vfs.Inotify.Fsnotify.FileEvent(target.Inode, target.Location, Vfs.Inotify.InotifyMask.Attrib);
        return r;
    }

    private static long Remove(Task t, Target target, ulong nameAddr)
    {
        if (target.Error < 0) return target.Error;
        int r = ReadName(t, nameAddr, out string name);
        if (r < 0) return r;
        if (target.ReadOnly) return -Errno.EROFS;
        var store = target.Inode!.Xattrs;
        r = Permission(t, target.Inode, name, write: true);
        if (r < 0) return r;
        if (store is null) return -Errno.ENODATA;
        r = ResolveNamespace(name);
        if (r < 0) return r;
        r = store.Remove(name);
        if (r == 0) Vfs.Inotify.Fsnotify.FileEvent(target.Inode, target.Location, Vfs.Inotify.InotifyMask.Attrib);
        return r;
    }
}
