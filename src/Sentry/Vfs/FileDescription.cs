using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;

namespace Csrunsc.Sentry.Vfs;

/// <summary>Told once when a file description's last reference is dropped.</summary>
internal interface IReleaseWatcher
{
    void Released(FileDescription file);
}

/// <summary>
/// An open file description (struct file): status flags, offset, and the operations the syscalls
/// reach. Shared by dup'd and inherited descriptors through a reference count. All results are
/// byte counts or -errno; a blocking implementation waits with <see cref="Task.WaitOn"/>.
/// </summary>
public abstract class FileDescription
{
    private int _refs = 1;
    private List<DirEntry>? _dirSnapshot;
    private List<IReleaseWatcher>? _releaseWatchers;

    /// <summary>Guards every description's release watchers (rare: epoll registrations).</summary>
    private static readonly object s_watchLock = new();

    protected FileDescription(Inode? inode, int flags)
    {
        Inode = inode;
        if (inode is not null) Interlocked.Increment(ref inode.OpenDescriptions);
        Flags = flags & ~(Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOCTTY | Libc.O_TRUNC | Libc.O_CLOEXEC);
    }

    public Inode? Inode { get; }

    /// <summary>The lock state of the file while this description may hold OFD or flock locks (guarded by FileLocks.Sync).</summary>
    internal Lock.FileLockState? LockState;

    /// <summary>Where this file was opened (for *at() calls, fchdir and /proc/self/fd).</summary>
    public VfsPath? Location { get; set; }

    /// <summary>Access mode and status flags (O_APPEND, O_NONBLOCK, ...).</summary>
    public int Flags { get; set; }

    /// <summary>The file offset; guarded by <see cref="OffsetLock"/> for read/write/seek.</summary>
    public long Offset;

    public object OffsetLock => this;

    /// <summary>Access mode 3 (O_WRONLY|O_RDWR) is neither: it opens for ioctls only, as on Linux.</summary>
    public bool Readable => (Flags & Libc.O_ACCMODE) is Libc.O_RDONLY or Libc.O_RDWR && (Flags & Libc.O_PATH) == 0;
    public bool Writable => (Flags & Libc.O_ACCMODE) is Libc.O_WRONLY or Libc.O_RDWR && (Flags & Libc.O_PATH) == 0;
    public bool NonBlocking => (Flags & Libc.O_NONBLOCK) != 0;

    /// <summary>Whether the file has a position (false for pipes, sockets, terminals).</summary>
    public virtual bool Seekable => true;

    /// <summary>Whether a write answering EPIPE raises SIGPIPE (pipes, stream sockets; not datagram or seqpacket sockets).</summary>
    public virtual bool SignalsBrokenPipe => true;

    /// <summary>Reads at offset (pread) or, with offset &lt; 0, at and advancing the file offset.</summary>
    public virtual long Read(Task task, Span<byte> buffer, long offset) => -Errno.EINVAL;

    /// <summary>Writes at offset (pwrite) or, with offset &lt; 0, at and advancing the file offset.</summary>
    public virtual long Write(Task task, ReadOnlySpan<byte> buffer, long offset) => -Errno.EINVAL;

    /// <summary>Writes pages of a shared mapping back (the page cache's write, which file seals do not stop); a plain pwrite unless overridden.</summary>
    public virtual long WriteBack(Task task, ReadOnlySpan<byte> buffer, long offset) => Write(task, buffer, offset);

    /// <summary>Size used by SEEK_END.</summary>
    public virtual long Size
    {
        get
        {
            if (Inode is null) return 0;
            Inode.GetStat(out StatBuf st);
            return st.Size;
        }
    }

    public virtual long Seek(long offset, int whence)
    {
        if (!Seekable) return -Errno.ESPIPE;
        lock (OffsetLock)
        {
            long baseOff = whence switch
            {
                Libc.SEEK_SET => 0,
                Libc.SEEK_CUR => Offset,
                Libc.SEEK_END => Size,
                _ => -1,
            };
            if (baseOff < 0) return -Errno.EINVAL;
            long n = baseOff + offset;
            if (n < 0) return -Errno.EINVAL;
            if (whence == Libc.SEEK_SET && Inode is not null && Inode.IsDirectory && n == 0) _dirSnapshot = null;
            Offset = n;
            return n;
        }
    }

    public virtual int GetStat(out StatBuf stat)
    {
        if (Inode is not null) return Inode.GetStat(out stat);
        stat = default;
        return -Errno.EBADF;
    }

    public virtual int Ioctl(Task task, ulong request, ulong arg) => -Errno.ENOTTY;

    public virtual int Truncate(long length) => -Errno.EINVAL;

    public virtual int Sync() => 0;

    /// <summary>
    /// fallocate's filesystem part (the generic checks are done): mode 0 / KEEP_SIZE allocate,
    /// PUNCH_HOLE frees. The default is a file without holes: allocation only grows the size.
    /// </summary>
    public virtual int Allocate(int mode, long offset, long length)
    {
        if (mode != 0) return -Errno.EOPNOTSUPP;
        return offset + length > Size ? Truncate(offset + length) : 0;
    }

    /// <summary>lseek SEEK_DATA (data) or SEEK_HOLE: the position found, or -ENXIO at or past the end. The default has no holes.</summary>
    public virtual long FindDataOrHole(long offset, bool data)
    {
        long size = Size;
        if (offset < 0 || offset >= size) return -Errno.ENXIO;
        return data ? offset : size;
    }

    /// <summary>Events (POLLIN/POLLOUT/POLLHUP/...) ready now, within mask.</summary>
    public virtual short Readiness(short mask) => (short)(mask & (Libc.POLLIN | Libc.POLLOUT));

    /// <summary>Queue notified when readiness may have changed; null if the file never blocks.</summary>
    public virtual WaitQueue? ReadinessQueue => null;

    /// <summary>
    /// Whether O_ASYNC makes the file signal its owner on readiness changes (Linux's ->fasync: pipes,
    /// sockets, terminals, inotify). Others keep the flag without effect, as on Linux.
    /// </summary>
    public virtual bool SignalsIo => false;

    private FileAsync? _async;

    /// <summary>The description's F_SETOWN/F_SETSIG/O_ASYNC state, made on first use.</summary>
    public FileAsync Async
    {
        get
        {
            var a = Volatile.Read(ref _async);
            if (a is not null) return a;
            Interlocked.CompareExchange(ref _async, new FileAsync(this), null);
            return _async!;
        }
    }

    /// <summary>The async state if any call made it (F_GETOWN of a file never given an owner answers 0 without it).</summary>
    public FileAsync? AsyncIfAny => Volatile.Read(ref _async);

    /// <summary>
    /// A host fd whose readiness is exactly this file's (a host socket, the caller's pipe or
    /// terminal), so epoll can watch it in a host epoll and tasks can wait on it in the host; -1 if none.
    /// </summary>
    public virtual int HostPollFd => -1;

    /// <summary>A host fd whose contents back this file (regular gofer files), for mmap; -1 if none.</summary>
    public virtual int HostFd => -1;

    /// <summary>
    /// Next directory entries from the current offset (an index into a snapshot taken at the first call).
    /// Returns the number of entries handed to the sink, 0 at the end, or -errno.
    /// </summary>
    public int NextDirEntries(Func<DirEntry, long, bool> sink)
    {
        if (Inode is null || !Inode.IsDirectory) return -Errno.ENOTDIR;
        lock (OffsetLock)
        {
            if (_dirSnapshot is null || Offset == 0)
            {
                var list = new List<DirEntry>();
                GetStat(out StatBuf self);
                list.Add(new DirEntry(".", self.Ino, (byte)(FileMode.Directory >> 12)));
                ulong parentIno = self.Ino;
                if (Location?.Parent is { } p && p.Inode.GetStat(out StatBuf pst) == 0) parentIno = pst.Ino;
                list.Add(new DirEntry("..", parentIno, (byte)(FileMode.Directory >> 12)));
                int r = Inode.ReadDir(list);
                if (r < 0) return r;
                _dirSnapshot = list;
            }
            int count = 0;
            while (Offset < _dirSnapshot.Count)
            {
                if (!sink(_dirSnapshot[(int)Offset], Offset + 1)) break;
                Offset++;
                count++;
            }
            return count;
        }
    }

    public void IncRef() => Interlocked.Increment(ref _refs);

    public void DecRef()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        if (Volatile.Read(ref _releaseWatchers) is not null)
        {
            List<IReleaseWatcher>? watchers;
            lock (s_watchLock)
            {
                watchers = _releaseWatchers;
                _releaseWatchers = null;
            }
            if (watchers is not null)
            {
                foreach (var w in watchers) w.Released(this);
            }
        }
        if (Inode is not null && Interlocked.Decrement(ref Inode.OpenDescriptions) == 0 && Inotify.Fsnotify.Active) Inotify.Fsnotify.LastClosed(this);
        else if (Inotify.Fsnotify.Active) Inotify.Fsnotify.Closed(this);
        if (Volatile.Read(ref LockState) is not null) Lock.FileLocks.DescriptionReleased(this);
        Volatile.Read(ref _async)?.Released();
        OnRelease();
    }

    /// <summary>Whether the description is still open somewhere (a descriptor or an in-flight reference).</summary>
    public bool IsOpen => Volatile.Read(ref _refs) > 0;

    /// <summary>References held now (descriptors, in-flight SCM_RIGHTS, calls in progress): AF_UNIX's garbage collector compares it with the in-flight count.</summary>
    internal int ReferenceCount => Volatile.Read(ref _refs);

    /// <summary>
    /// Asks to be told when the last reference goes (an epoll registration ends with its file, as in
    /// Linux). The caller holds a reference. Returns false if the file is already released.
    /// </summary>
    internal bool AddReleaseWatcher(IReleaseWatcher watcher)
    {
        lock (s_watchLock)
        {
            if (Volatile.Read(ref _refs) <= 0) return false;
            (_releaseWatchers ??= new List<IReleaseWatcher>()).Add(watcher);
            return true;
        }
    }

    internal void RemoveReleaseWatcher(IReleaseWatcher watcher)
    {
        lock (s_watchLock) _releaseWatchers?.Remove(watcher);
    }

    /// <summary>Called once when the last descriptor referring to this description is closed.</summary>
    protected virtual void OnRelease()
    {
    }

    /// <summary>Offset-handling helper for seekable files: runs io at the right offset and advances it.</summary>
    protected long AtOffset(long offset, bool append, Func<long, long> io)
    {
        if (offset >= 0) return io(offset);
        lock (OffsetLock)
        {
            long at = append ? Size : Offset;
            long n = io(at);
            if (n > 0) Offset = at + n;
            return n;
        }
    }
}
