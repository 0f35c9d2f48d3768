using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Mqueue;

/// <summary>The root (and only) directory of an mqueue filesystem: name → queue; mode 1777 as Linux's.</summary>
public sealed class MqueueDirectory : Inode
{
    public const int NameMax = 255;

    private readonly MqueueFileSystem _fs;
    private readonly Dictionary<string, MqueueInode> _queues = new(StringComparer.Ordinal);
    private readonly ulong _ino;
    private uint _mode = FileMode.Directory | 0x3FF; // 01777
    private Timespec _mtime = MonotonicClock.Now(), _ctime = MonotonicClock.Now();

    public MqueueDirectory(MqueueFileSystem fs)
    {
        _fs = fs;
        _ino = fs.NextIno();
    }

    public override FileSystem FileSystem => _fs;

    public override uint Mode => _mode;

    public object Lock => _queues;

    public int Count
    {
        get { lock (_queues) return _queues.Count; }
    }

    public override int GetStat(out StatBuf stat)
    {
        lock (_queues)
        {
            stat = StatFactory.Make(_fs.Dev, _ino, _mode, 2, 0, 0, 0, _mtime, _mtime, _ctime);
        }
        return 0;
    }

    public override int Open(int flags, out FileDescription? file) => DirectoryFileDescription.Open(this, flags, out file);

    public override int Lookup(string name, out Inode? child)
    {
        child = null;
        if (name.Length > NameMax) return -Errno.ENAMETOOLONG;
        lock (_queues)
        {
            if (!_queues.TryGetValue(name, out var q)) return -Errno.ENOENT;
            child = q;
            return 0;
        }
    }

    public override int ReadDir(List<DirEntry> into)
    {
        lock (_queues)
        {
            foreach (var (name, q) in _queues) into.Add(new DirEntry(name, q.Ino, FileMode.DirentType(q.Mode)));
        }
        return 0;
    }

    /// <summary>open(O_CREAT) in the mount: a queue with the default attributes.</summary>
    public override int Create(string name, int flags, uint mode, uint uid, uint gid, out Inode? child, out FileDescription? file)
    {
        child = null;
        file = null;
        var t = Kernel.Task.Current;
        if (t is null) return -Errno.EPERM;
        int r = CreateQueue(t, name, mode, uid, gid, _fs.MsgDefault, _fs.MsgSizeDefault, overLimit: false, out var q);
        if (r < 0) return r;
        child = q;
        return q!.Open(flags, out file);
    }

    /// <summary>
    /// A new queue named name; -EEXIST, -ENAMETOOLONG, -ENOSPC past queues_max (unless overLimit:
    /// CAP_SYS_RESOURCE), -EMFILE past the creator's RLIMIT_MSGQUEUE.
    /// </summary>
    public int CreateQueue(Kernel.Task t, string name, uint mode, uint uid, uint gid, long maxMsg, long msgSize, bool overLimit, out MqueueInode? queue)
    {
        queue = null;
        if (name.Length > NameMax) return -Errno.ENAMETOOLONG;
        lock (_queues)
        {
            if (_queues.ContainsKey(name)) return -Errno.EEXIST;
            if (_queues.Count >= _fs.QueuesMax && !overLimit) return -Errno.ENOSPC;
            // Charged to the creator's real uid (its user_struct), as Linux does.
            uint chargeUid = t.ThreadGroup.Creds.Uid;
            long bytes = MqueueFileSystem.Reservation(maxMsg, msgSize);
            if (!_fs.Charge(chargeUid, bytes, MqueueFileSystem.LimitOf(t))) return -Errno.EMFILE;
            queue = new MqueueInode(_fs, mode & 0xFFF, uid, gid, maxMsg, msgSize, chargeUid, bytes);
            _queues[name] = queue;
            _mtime = _ctime = MonotonicClock.Now();
        }
        return 0;
    }

    public override int Unlink(string name, bool dir)
    {
        lock (_queues)
        {
            if (!_queues.TryGetValue(name, out var q)) return -Errno.ENOENT;
            if (dir) return -Errno.ENOTDIR;
            _queues.Remove(name);
            _mtime = _ctime = MonotonicClock.Now();
            q.Unlinked();
        }
        return 0;
    }

    public override int Rename(string oldName, Inode newParent, string newName) => -Errno.EPERM;

    public override int SetAttr(in SetAttrRequest request)
    {
        lock (_queues)
        {
            if ((request.Mask & SetAttrRequest.SizeBit) != 0) return -Errno.EISDIR;
            if ((request.Mask & SetAttrRequest.ModeBit) != 0) _mode = FileMode.Directory | (request.Mode & 0xFFF);
            _ctime = MonotonicClock.Now();
        }
        return 0;
    }
}
