using System.Runtime.CompilerServices;
using Csrunsc.Native;

namespace Csrunsc.Sentry.Vfs.Inotify;

/// <summary>
/// The sandbox's inotify watch table and the hooks the generic syscall code calls (Linux's
/// fsnotify_* helpers): one table for the whole sandbox keyed by <see cref="WatchTarget"/>, guarded
/// by <see cref="Sync"/>. Every hook returns at once while no watch exists, so the file paths pay
/// one volatile read. Events go first to the parent directory's watches (with the child's name,
/// for the events a directory receives for its children), then to the file's own, as
/// fsnotify_handle_event orders them. Readers are woken after the table lock is released.
/// </summary>
internal static class Fsnotify
{
    /// <summary>Guards the table, every instance's watches and wds, and the per-user counts.</summary>
    internal static readonly object Sync = new();

    private static readonly Dictionary<WatchTarget, List<Watch>> s_table = new();
    private static readonly Dictionary<uint, int> s_watchesByUser = new();
    private static readonly Dictionary<uint, int> s_instancesByUser = new();

    /// <summary>Watched files whose last name went while a description was open: IN_DELETE_SELF waits for the last close.</summary>
    private static readonly HashSet<WatchTarget> s_pendingDelete = new();

    /// <summary>(directory, name) removed while the file it named was open, and that file: IN_EXCL_UNLINK's "unlinked" for descriptions opened by that name.</summary>
    private static readonly Dictionary<(WatchTarget Dir, string Name), WatchTarget> s_removedNames = new();
    private static int s_watchCount;
    private static int s_cookie;

    [ThreadStatic] private static List<InotifyFile>? t_wake;

    /// <summary>/proc/sys/fs/inotify/max_queued_events (Linux's default).</summary>
    public static int MaxQueuedEvents = 16384;

    /// <summary>/proc/sys/fs/inotify/max_user_instances (Linux's default).</summary>
    public static int MaxUserInstances = 128;

    /// <summary>/proc/sys/fs/inotify/max_user_watches (Linux's ceiling for its memory-sized default).</summary>
    public static int MaxUserWatches = 1048576;

    /// <summary>Whether any watch exists (the hooks' fast path).</summary>
    public static bool Active
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref s_watchCount) != 0;
    }

    /// <summary>A new rename cookie (never 0).</summary>
    public static uint NextCookie()
    {
        uint c;
        do c = (uint)Interlocked.Increment(ref s_cookie); while (c == 0);
        return c;
    }

    // ---- instances and watches (inotify_init1, inotify_add_watch, inotify_rm_watch) ----

    /// <summary>Counts a new instance against its user's max_user_instances: false (EMFILE) past it.</summary>
    public static bool InstanceCreated(uint owner)
    {
        lock (Sync)
        {
            s_instancesByUser.TryGetValue(owner, out int n);
            if (n >= MaxUserInstances) return false;
            s_instancesByUser[owner] = n + 1;
            return true;
        }
    }

    /// <summary>The instance's last reference went: its watches go without IN_IGNORED (nobody can read it).</summary>
    public static void InstanceReleased(InotifyFile instance)
    {
        lock (Sync)
        {
            foreach (var w in instance.Watches.Values) Unlink(w);
            instance.Watches.Clear();
            if (s_instancesByUser.TryGetValue(instance.Owner, out int n)) s_instancesByUser[instance.Owner] = n - 1;
        }
    }

    /// <summary>inotify_update_watch: the wd of the new or updated watch, or -EEXIST (IN_MASK_CREATE) / -ENOSPC.</summary>
    public static int AddWatch(InotifyFile instance, WatchTarget target, uint mask)
    {
        uint stored = mask & (InotifyMask.AllEvents | InotifyMask.OneShot | InotifyMask.ExclUnlink);
        lock (Sync)
        {
            if (s_table.TryGetValue(target, out var list))
            {
                foreach (var w in list)
                {
                    if (!ReferenceEquals(w.Owner, instance)) continue;
                    if ((mask & InotifyMask.MaskCreate) != 0) return -Errno.EEXIST;
                    w.Mask = (mask & InotifyMask.MaskAdd) != 0 ? w.Mask | stored : stored;
                    return w.Wd;
                }
            }
            s_watchesByUser.TryGetValue(instance.Owner, out int n);
            if (n >= MaxUserWatches) return -Errno.ENOSPC;
            int wd = ++instance.LastWd;
            if (wd <= 0) wd = instance.LastWd = 1;
            var watch = new Watch(instance, wd, target, stored);
            if (list is null) s_table[target] = list = new List<Watch>(1);
            list.Add(watch);
            instance.Watches[wd] = watch;
            s_watchesByUser[instance.Owner] = n + 1;
            Interlocked.Increment(ref s_watchCount);
            return wd;
        }
    }

    /// <summary>inotify_rm_watch: 0 and an IN_IGNORED event, or -EINVAL for an unknown wd.</summary>
    public static int RemoveWatch(InotifyFile instance, int wd)
    {
        lock (Sync)
        {
            if (!instance.Watches.TryGetValue(wd, out var w)) return -Errno.EINVAL;
            Destroy(w);
        }
        instance.Wake();
        return 0;
    }

    /// <summary>Removes a watch and queues its IN_IGNORED (under Sync; the caller wakes the owner).</summary>
    private static void Destroy(Watch w)
    {
        Unlink(w);
        w.Owner.Watches.Remove(w.Wd);
        w.Owner.Enqueue(w.Wd, InotifyMask.Ignored, 0, null);
    }

    /// <summary>Takes a watch out of the table and the user's count (under Sync).</summary>
    private static void Unlink(Watch w)
    {
        if (s_table.TryGetValue(w.Target, out var list))
        {
            list.Remove(w);
            if (list.Count == 0)
            {
                s_table.Remove(w.Target);
                s_pendingDelete.Remove(w.Target);
            }
        }
        if (s_watchesByUser.TryGetValue(w.Owner.Owner, out int n)) s_watchesByUser[w.Owner.Owner] = n - 1;
        if (Interlocked.Decrement(ref s_watchCount) == 0)
        {
            // Nothing watches any more: what waited for a close or a new name no longer matters.
            s_removedNames.Clear();
            s_pendingDelete.Clear();
        }
    }

    // ---- hooks ----

    /// <summary>
    /// An event on a file reached through location: its parent's watches, then its own. A path
    /// event (open, read, write, close: Linux's FSNOTIFY_EVENT_PATH) skips IN_EXCL_UNLINK watches
    /// once the name the file was opened by is gone; attribute changes (dentry events) do not.
    /// </summary>
    public static void FileEvent(Inode inode, VfsPath? location, uint mask, bool pathEvent = false)
    {
        if (!Active) return;
        if (inode.IsDirectory) mask |= InotifyMask.IsDir;
        lock (Sync)
        {
            var target = WatchTarget.Of(inode);
            int unlinked = pathEvent ? -1 : 0;
            if (location?.Parent is { } parent && ReferenceEquals(parent.Mount, location.Mount) && (mask & InotifyMask.OnChild) != 0)
                Deliver(WatchTarget.Of(parent.Inode), mask, location.Name, inode, location, target, ref unlinked);
            Deliver(target, mask, null, inode, location, target, ref unlinked);
        }
        Flush();
    }

    /// <summary>The description was opened (IN_OPEN).</summary>
    public static void Opened(FileDescription file)
    {
        if (!Active || file.Inode is null || (file.Flags & Libc.O_PATH) != 0) return;
        FileEvent(file.Inode, file.Location, InotifyMask.Open, pathEvent: true);
    }

    /// <summary>The description's last reference went (IN_CLOSE_WRITE or IN_CLOSE_NOWRITE).</summary>
    public static void Closed(FileDescription file)
    {
        if (!Active || file.Inode is null || (file.Flags & Libc.O_PATH) != 0) return;
        FileEvent(file.Inode, file.Location, file.Writable ? InotifyMask.CloseWrite : InotifyMask.CloseNoWrite, pathEvent: true);
    }

    /// <summary>
    /// The last description of the inode went: its close event, then the IN_DELETE_SELF and
    /// IN_IGNORED that waited for it if the file lost its last name meanwhile (Linux's final dput).
    /// </summary>
    public static void LastClosed(FileDescription file)
    {
        var inode = file.Inode!;
        Closed(file);
        if (!inode.NameRemoved && s_removedNames.Count == 0) return;
        lock (Sync)
        {
            var target = WatchTarget.Of(inode);
            if (s_removedNames.Count > 0) ForgetRemovedNames(target);
            if (inode.NameRemoved && s_pendingDelete.Remove(target)) Deleted(target);
        }
        Flush();
    }

    /// <summary>No description of the file is left: the names it lost no longer matter (under Sync).</summary>
    private static void ForgetRemovedNames(WatchTarget target)
    {
        List<(WatchTarget, string)>? gone = null;
        foreach (var (key, value) in s_removedNames)
        {
            if (value == target) (gone ??= new()).Add(key);
        }
        if (gone is null) return;
        foreach (var key in gone) s_removedNames.Remove(key);
    }

    /// <summary>Bytes were read (IN_ACCESS), fsnotify_access.</summary>
    public static void Accessed(FileDescription file)
    {
        if (!Active || file.Inode is null) return;
        FileEvent(file.Inode, file.Location, InotifyMask.Access, pathEvent: true);
    }

    /// <summary>Bytes were written (IN_MODIFY), fsnotify_modify.</summary>
    public static void Modified(FileDescription file)
    {
        if (!Active || file.Inode is null) return;
        FileEvent(file.Inode, file.Location, InotifyMask.Modify, pathEvent: true);
    }

    /// <summary>Attributes changed (fsnotify_change): size → MODIFY; uid, gid, mode, both times → ATTRIB; atime alone → ACCESS; mtime alone → MODIFY.</summary>
    public static void Changed(Inode inode, VfsPath? location, uint setAttrMask)
    {
        if (!Active) return;
        uint mask = 0;
        if ((setAttrMask & (SetAttrRequest.UidBit | SetAttrRequest.GidBit | SetAttrRequest.ModeBit)) != 0) mask |= InotifyMask.Attrib;
        if ((setAttrMask & SetAttrRequest.SizeBit) != 0) mask |= InotifyMask.Modify;
        const uint times = SetAttrRequest.AtimeBit | SetAttrRequest.MtimeBit;
        if ((setAttrMask & times) == times) mask |= InotifyMask.Attrib;
        else if ((setAttrMask & SetAttrRequest.AtimeBit) != 0) mask |= InotifyMask.Access;
        else if ((setAttrMask & SetAttrRequest.MtimeBit) != 0) mask |= InotifyMask.Modify;
        if (mask != 0) FileEvent(inode, location, mask);
    }

    /// <summary>A name was made in dir (IN_CREATE; with IN_ISDIR for mkdir).</summary>
    public static void Created(Inode dir, string name, bool isDir)
    {
        if (!Active) return;
        ChildEvent(dir, name, InotifyMask.Create | (isDir ? InotifyMask.IsDir : 0), 0);
    }

    /// <summary>
    /// A name of inode in dir was removed (vfs_unlink/vfs_rmdir): IN_ATTRIB to the file (its link
    /// count; not for directories), IN_DELETE_SELF and IN_IGNORED to its watches once no name is
    /// left, then IN_DELETE to the directory's.
    /// </summary>
    public static void Removed(Inode dir, string name, Inode inode, bool lastLink)
    {
        if (!Active) return;
        bool isDir = inode.IsDirectory;
        lock (Sync)
        {
            var target = WatchTarget.Of(inode);
            var dirTarget = WatchTarget.Of(dir);
            if (Volatile.Read(ref inode.OpenDescriptions) > 0) s_removedNames[(dirTarget, name)] = target;
            if (!isDir) DeliverTo(target, InotifyMask.Attrib, 0, null);
            if (lastLink || isDir) Gone(inode, target);
            DeliverTo(dirTarget, InotifyMask.Delete | (isDir ? InotifyMask.IsDir : 0), 0, name);
        }
        Flush();
    }

    /// <summary>
    /// fsnotify_move: MOVED_FROM and MOVED_TO with one cookie, IN_ATTRIB to a replaced target,
    /// IN_MOVE_SELF to the moved file, then the replaced target's IN_DELETE_SELF when it lost its last name.
    /// </summary>
    public static void Moved(Inode oldDir, string oldName, Inode newDir, string newName, Inode source, Inode? replaced, bool replacedLastLink)
    {
        if (!Active) return;
        uint dirBit = source.IsDirectory ? InotifyMask.IsDir : 0;
        uint cookie = NextCookie();
        lock (Sync)
        {
            var oldDirTarget = WatchTarget.Of(oldDir);
            var newDirTarget = WatchTarget.Of(newDir);
            DeliverTo(oldDirTarget, InotifyMask.MovedFrom | dirBit, cookie, oldName);
            DeliverTo(newDirTarget, InotifyMask.MovedTo | dirBit, cookie, newName);
            if (s_removedNames.Count > 0) s_removedNames.Remove((newDirTarget, newName));
            WatchTarget replacedTarget = default;
            if (replaced is not null)
            {
                replacedTarget = WatchTarget.Of(replaced);
                if (Volatile.Read(ref replaced.OpenDescriptions) > 0) s_removedNames[(newDirTarget, newName)] = replacedTarget;
                DeliverTo(replacedTarget, InotifyMask.Attrib | (replaced.IsDirectory ? InotifyMask.IsDir : 0), 0, null);
            }
            DeliverTo(WatchTarget.Of(source), InotifyMask.MoveSelf, 0, null);
            if (replaced is not null && (replacedLastLink || replaced.IsDirectory)) Gone(replaced, replacedTarget);
        }
        Flush();
    }

    /// <summary>link(2): IN_ATTRIB to the file (its link count), then IN_CREATE in the new directory.</summary>
    public static void Linked(Inode inode, Inode dir, string name)
    {
        if (!Active) return;
        lock (Sync)
        {
            DeliverTo(WatchTarget.Of(inode), InotifyMask.Attrib, 0, null);
            DeliverTo(WatchTarget.Of(dir), InotifyMask.Create, 0, name);
        }
        Flush();
    }

    private static void ChildEvent(Inode dir, string name, uint mask, uint cookie)
    {
        lock (Sync)
        {
            var dirTarget = WatchTarget.Of(dir);
            if (s_removedNames.Count > 0) s_removedNames.Remove((dirTarget, name)); // the name is a new file's now
            DeliverTo(dirTarget, mask, cookie, name);
        }
        Flush();
    }

    /// <summary>The file lost its last name: deleted now, or at its last close while a description is open (under Sync).</summary>
    private static void Gone(Inode inode, WatchTarget target)
    {
        inode.NameRemoved = true;
        if (Volatile.Read(ref inode.OpenDescriptions) > 0)
        {
            if (s_table.ContainsKey(target)) s_pendingDelete.Add(target);
            return;
        }
        Deleted(target);
    }

    /// <summary>The file has no name left: IN_DELETE_SELF to the watches that ask, then every watch goes with IN_IGNORED (under Sync).</summary>
    private static void Deleted(WatchTarget target)
    {
        DeliverTo(target, InotifyMask.DeleteSelf, 0, null);
        if (!s_table.TryGetValue(target, out var list)) return;
        for (int i = list.Count - 1; i >= 0; i--)
        {
            if (i >= list.Count) continue;
            var w = list[i];
            Destroy(w);
            Wake(w.Owner);
        }
    }

    /// <summary>A path event to the watches on watched, skipping IN_EXCL_UNLINK ones once the file's name is gone (unlinked: -1 unknown yet, 0 no, 1 yes; under Sync).</summary>
    private static void Deliver(WatchTarget watched, uint mask, string? name, Inode inode, VfsPath? location, WatchTarget target, ref int unlinked)
    {
        if (!s_table.TryGetValue(watched, out var list)) return;
        for (int i = list.Count - 1; i >= 0; i--)
        {
            if (i >= list.Count) continue;
            var w = list[i];
            if ((w.Mask & mask & InotifyMask.AllEvents) == 0) continue;
            if ((w.Mask & InotifyMask.ExclUnlink) != 0)
            {
                if (unlinked < 0) unlinked = IsUnlinked(inode, location, target) ? 1 : 0;
                if (unlinked == 1) continue;
            }
            Deliver(w, mask, 0, name);
        }
    }

    /// <summary>
    /// Linux's d_unlinked for the name a description was opened by: recorded when the name was
    /// removed while the file was open (so one of two hard links can be gone), or no name left at all.
    /// </summary>
    private static bool IsUnlinked(Inode inode, VfsPath? location, WatchTarget target)
    {
        if (location?.Parent is { } parent && s_removedNames.Count > 0 &&
            s_removedNames.TryGetValue((WatchTarget.Of(parent.Inode), location.Name), out var removed) && removed == target)
            return true;
        return inode.GetStat(out StatBuf st) == 0 && st.Nlink == 0;
    }

    /// <summary>Delivers to every watch on target whose mask asks for one of mask's events (under Sync).</summary>
    private static void DeliverTo(WatchTarget target, uint mask, uint cookie, string? name)
    {
        if (!s_table.TryGetValue(target, out var list)) return;
        for (int i = list.Count - 1; i >= 0; i--)
        {
            if (i >= list.Count) continue;
            var w = list[i];
            if ((w.Mask & mask & InotifyMask.AllEvents) == 0) continue;
            Deliver(w, mask, cookie, name);
        }
    }

    /// <summary>inotify_handle_inode_event: queues the event, then removes an IN_ONESHOT watch (IN_IGNORED).</summary>
    private static void Deliver(Watch w, uint mask, uint cookie, string? name)
    {
        // The whole mask is reported, not only the bits the watch asked for, as Linux does.
        uint reported = mask & (InotifyMask.AllEvents | InotifyMask.IsDir);
        w.Owner.Enqueue(w.Wd, reported, cookie, name);
        Wake(w.Owner);
        if ((w.Mask & InotifyMask.OneShot) != 0) Destroy(w);
    }

    private static void Wake(InotifyFile owner)
    {
        var list = t_wake ??= new List<InotifyFile>(4);
        if (!list.Contains(owner)) list.Add(owner);
    }

    /// <summary>Wakes the instances that got events (outside Sync: a waker may reach epoll's locks).</summary>
    private static void Flush()
    {
        var list = t_wake;
        if (list is null || list.Count == 0) return;
        foreach (var owner in list) owner.Wake();
        list.Clear();
    }
}
