using System.Globalization;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// A devpts instance: the tmpfs mounted at /dev/pts holding ptmx and a node per live pty, with the
/// mount's gid=, mode= and ptmxmode= options, and the pty index allocator (lowest free index, up
/// to /proc/sys/kernel/pty/max; indices already naming a node — the caller's host terminal — are
/// skipped). Opening ptmx (5:2, here or through /dev/ptmx) makes a new pty.
/// </summary>
public sealed class DevPts
{
    public const int MaxPtys = 4096;
    public const uint PtmxMajor = 5, PtmxMinor = 2;

    private static readonly Dictionary<FileSystem, DevPts> s_instances = new();
    private static DevPts? s_primary;

    private readonly HashSet<int> _used = new();
    private readonly uint _mode;
    private readonly uint? _gid;

    private DevPts(TmpfsFileSystem fs, uint mode, uint? gid)
    {
        FileSystem = fs;
        _mode = mode;
        _gid = gid;
    }

    public TmpfsFileSystem FileSystem { get; }

    /// <summary>Makes a devpts from its mount options (Linux's defaults: mode=0600, ptmxmode=0000, gid of the opener).</summary>
    public static TmpfsFileSystem Create(string options)
    {
        uint mode = 0x180, ptmxMode = 0;
        uint? gid = null;
        foreach (var opt in options.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = opt.IndexOf('=');
            if (eq < 0) continue;
            string key = opt[..eq], value = opt[(eq + 1)..];
            switch (key)
            {
                case "mode" when TryOctal(value, out uint m):
                    mode = m & 0xFFF;
                    break;
                case "ptmxmode" when TryOctal(value, out uint m):
                    ptmxMode = m & 0xFFF;
                    break;
                case "gid" when uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint g):
                    gid = g;
                    break;
            }
        }
        var fs = new TmpfsFileSystem("devpts", readOnly: false, rootMode: FileMode.Directory | 0x1ED);
        fs.AddCharDevice("ptmx", PtmxMajor, PtmxMinor, ptmxMode);
        var instance = new DevPts(fs, mode, gid);
        lock (s_instances)
        {
            s_instances[fs] = instance;
            s_primary ??= instance;
        }
        return fs;
    }

    private static bool TryOctal(string s, out uint value)
    {
        value = 0;
        if (s.Length == 0) return false;
        foreach (char c in s)
        {
            if (c is < '0' or > '7') return false;
            value = value * 8 + (uint)(c - '0');
        }
        return true;
    }

    /// <summary>The driver of 5:2: a new pty in the devpts holding the node (else the first devpts made), its master open.</summary>
    public static int OpenMaster(Inode node, int flags, out FileDescription? file)
    {
        file = null;
        var task = Kernel.Task.Current;
        DevPts? devpts;
        lock (s_instances)
        {
            if (!s_instances.TryGetValue(node.FileSystem, out devpts)) devpts = s_primary;
        }
        if (devpts is null || task is null) return -Errno.ENODEV;
        int r = devpts.NewPty(task, out Pty? pty);
        if (r < 0) return r;
        file = new MasterFileDescription(pty!, node, flags);
        return 0;
    }

    /// <summary>The devpts instance a filesystem is (the one mounted at /dev/pts), or null.</summary>
    public static DevPts? Of(FileSystem fs)
    {
        lock (s_instances) return s_instances.TryGetValue(fs, out var d) ? d : null;
    }

    private int NewPty(Kernel.Task task, out Pty? pty)
    {
        var creds = task.ThreadGroup.Creds;
        return NewPty(task.Kernel, creds.Fsuid, creds.Fsgid, out pty);
    }

    /// <summary>A new pty at the lowest free index, its node owned by uid and the mount's gid= (else gid).</summary>
    internal int NewPty(Kernel.Kernel kernel, uint uid, uint gid, out Pty? pty)
    {
        pty = null;
        int index;
        lock (_used)
        {
            index = -1;
            for (int i = 0; i < MaxPtys; i++)
            {
                if (_used.Contains(i) || FileSystem.Root.Lookup(Name(i), out _) == 0) continue;
                index = i;
                break;
            }
            if (index < 0) return -Errno.ENOSPC;
            _used.Add(index);
        }
        pty = new Pty(this, index, kernel);
        var node = new PtyReplicaNode(FileSystem, pty, _mode, uid, _gid ?? gid);
        pty.ReplicaNode = node;
        int r = FileSystem.RootDirectory.AddChild(Name(index), node);
        if (r < 0)
        {
            lock (_used) _used.Remove(index);
            return r;
        }
        return 0;
    }

    private static string Name(int index) => index.ToString(CultureInfo.InvariantCulture);

    /// <summary>devpts_pty_kill: the node goes when the master closes (descriptions keep the inode).</summary>
    internal void RemoveNode(Pty pty)
    {
        var dir = FileSystem.RootDirectory;
        if (dir.Lookup(Name(pty.Index), out Inode? n) == 0 && ReferenceEquals(n, pty.ReplicaNode)) dir.Unlink(Name(pty.Index), false);
    }

    /// <summary>The index is reusable once both sides are closed.</summary>
    internal void Free(Pty pty)
    {
        lock (_used) _used.Remove(pty.Index);
    }

    /// <summary>/dev/pts/N beside the master's ptmx (for TIOCGPTPEER), else under the mount of this devpts at /dev/pts.</summary>
    internal VfsPath? PathOf(VfsPath? master, Inode node, int index, MountTable? mounts = null)
    {
        if (master?.Parent is { } dir && ReferenceEquals(master.Mount.FileSystem, FileSystem))
            return new VfsPath(master.Mount, node, dir, Name(index));
        mounts ??= Kernel.Task.Current?.ThreadGroup.Container.Mounts;
        if (mounts is null) return null;
        if (!mounts.TryGet("/dev/pts", out Mount pts) || !ReferenceEquals(pts.FileSystem, FileSystem)) return null;
        var root = mounts.Root;
        var rootPath = new VfsPath(root, root.Root, null, "");
        mounts.TryGet("/dev", out Mount dev);
        var devPath = new VfsPath(dev ?? root, dev?.Root ?? root.Root, rootPath, "dev");
        var ptsPath = new VfsPath(pts, pts.Root, devPath, "pts");
        return new VfsPath(pts, node, ptsPath, Name(index));
    }
}
