using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>
/// An in-memory filesystem: /tmp, /dev (populated by Dev.DevFileSystem), /dev/shm, /dev/mqueue,
/// placeholders such as /sys/fs/cgroup. The Add* methods build a tree before the guest starts
/// (they work on read-only instances too).
/// </summary>
public sealed class TmpfsFileSystem : FileSystem
{
    private readonly TmpfsDirectory _root;

    public TmpfsFileSystem(string type = "tmpfs", bool readOnly = false, uint rootMode = 0x41ED, uint uid = 0, uint gid = 0)
        : base(type, readOnly)
    {
        _root = new TmpfsDirectory(this, rootMode & 0xFFF, uid, gid, null);
    }

    public override Inode Root => _root;

    private long _bytes;

    /// <summary>Inodes held, the root's included (Linux counts it against nr_inodes).</summary>
    private long _inodes = 1;

    /// <summary>size= of the mount: bytes of file data it may hold (ENOSPC beyond).</summary>
    public long SizeLimit { get; set; } = long.MaxValue;

    /// <summary>nr_inodes= of the mount: inodes it may hold (ENOSPC beyond).</summary>
    public long InodeLimit { get; set; } = long.MaxValue;

    /// <summary>Applies a mount's size, inode limit and root owner/mode (mode=, uid=, gid=).</summary>
    public TmpfsFileSystem With(TmpfsMountOptions options)
    {
        SizeLimit = options.SizeLimit;
        InodeLimit = options.InodeLimit;
        _root.SetOwnerAndMode(options.Mode, options.Uid, options.Gid);
        return this;
    }

    /// <summary>Bytes of file data held now.</summary>
    public long BytesUsed => Volatile.Read(ref _bytes);

    /// <summary>Inodes held now: the root and what the guest made (pre-populated nodes are not counted).</summary>
    public long InodesUsed => Volatile.Read(ref _inodes);

    /// <summary>Charges (or with a negative delta returns) file data; false when it would pass size= (unless forced).</summary>
    internal bool ChargeBytes(long delta, bool force = false)
    {
        while (true)
        {
            long cur = Volatile.Read(ref _bytes);
            long next = cur + delta;
            if (delta > 0 && !force && next > SizeLimit) return false;
            if (Interlocked.CompareExchange(ref _bytes, next, cur) == cur) return true;
        }
    }

    /// <summary>Takes one inode of nr_inodes; false when none is left.</summary>
    internal bool TakeInode()
    {
        while (true)
        {
            long cur = Volatile.Read(ref _inodes);
            if (cur >= InodeLimit) return false;
            if (Interlocked.CompareExchange(ref _inodes, cur + 1, cur) == cur) return true;
        }
    }

    internal void ReturnInode() => Interlocked.Decrement(ref _inodes);

    public TmpfsDirectory RootDirectory => _root;

    /// <summary>Serialises every change to the directory tree of this filesystem.</summary>
    internal object TreeLock { get; } = new();

    /// <summary>Makes a directory and any missing parents (mkdir -p); returns it.</summary>
    public TmpfsDirectory AddDirectory(string path, uint mode = 0x1ED /*0755*/, uint uid = 0, uint gid = 0)
    {
        var dir = _root;
        foreach (var name in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (dir.Lookup(name, out Inode? child) == 0)
            {
                dir = child as TmpfsDirectory ?? throw new InvalidOperationException($"tmpfs: {path}: {name} is not a directory");
                continue;
            }
            var created = new TmpfsDirectory(this, mode, uid, gid, dir);
            Check(dir.AddChild(name, created), path);
            dir = created;
        }
        return dir;
    }

    public TmpfsSymlink AddSymlink(string path, string target, uint uid = 0, uint gid = 0)
    {
        var node = new TmpfsSymlink(this, target, uid, gid);
        AddNode(path, node);
        return node;
    }

    public TmpfsRegularFile AddFile(string path, ReadOnlySpan<byte> content, uint mode = 0x1A4 /*0644*/, uint uid = 0, uint gid = 0)
    {
        var node = new TmpfsRegularFile(this, mode, uid, gid);
        node.SetContents(content);
        AddNode(path, node);
        return node;
    }

    /// <summary>Adds a character device node served by the driver registered in <see cref="DeviceRegistry"/>.</summary>
    public TmpfsDeviceNode AddCharDevice(string path, uint major, uint minor, uint mode = 0x1B6 /*0666*/, uint uid = 0, uint gid = 0)
    {
        var node = new TmpfsDeviceNode(this, FileMode.CharDevice | (mode & 0xFFF), DeviceNumber.Make(major, minor), uid, gid);
        AddNode(path, node);
        return node;
    }

    /// <summary>
    /// Makes a device or fifo node at path (mode includes the type), replacing what was there, as
    /// runc's createDevices does for config.json's linux.devices.
    /// </summary>
    public void ReplaceNode(string path, uint mode, ulong rdev, uint uid, uint gid)
    {
        Inode node = (mode & FileMode.TypeMask) == FileMode.Fifo
            ? new TmpfsFifo(this, mode & 0xFFF, uid, gid)
            : new TmpfsDeviceNode(this, mode, rdev, uid, gid);
        int slash = path.TrimEnd('/').LastIndexOf('/');
        var dir = slash <= 0 ? _root : AddDirectory(path[..slash]);
        string name = path[(slash + 1)..].TrimEnd('/');
        if (dir.Lookup(name, out Inode? old) == 0) Check(dir.Unlink(name, old!.IsDirectory), path);
        Check(dir.AddChild(name, node), path);
    }

    /// <summary>Adds an arbitrary inode at path (parents are created).</summary>
    public void AddNode(string path, Inode node)
    {
        int slash = path.TrimEnd('/').LastIndexOf('/');
        var dir = slash <= 0 ? _root : AddDirectory(path[..slash]);
        Check(dir.AddChild(path[(slash + 1)..].TrimEnd('/'), node), path);
    }

    private static void Check(int r, string path)
    {
        // Pre-population runs at boot from fixed tables: a failure is a bug, not a guest error.
        if (r < 0) throw new InvalidOperationException($"tmpfs: cannot add {path}: {Errno.Name(-r)}");
    }
}
