namespace Csrunsc.Sentry.Vfs;

/// <summary>A filesystem mounted at an absolute guest path.</summary>
public sealed class Mount(string path, FileSystem fileSystem, Inode root, bool readOnly, string source, string options, string fsRoot = "/")
{
    /// <summary>Where the mount's root lies in its filesystem (mountinfo's 4th field): a bind mount's source subtree.</summary>
    public string FsRoot { get; } = fsRoot;

    public string Path { get; } = path;
    public FileSystem FileSystem { get; } = fileSystem;
    public Inode Root { get; } = root;
    public bool ReadOnly { get; } = readOnly;
    public string Source { get; } = source;
    public string Options { get; } = options;

    /// <summary>mountinfo's super options when the filesystem has its own (a cgroup hierarchy's controllers: "rw,memory"); null: ro/rw.</summary>
    public string? SuperOptions { get; init; }

    /// <summary>umount2(MNT_EXPIRE) marked it: the next such call unmounts it.</summary>
    public bool ExpiryMarked { get; set; }

    /// <summary>MNT_NOEXEC: execve of a file here answers EACCES, mmap with PROT_EXEC EPERM, mprotect adding it EACCES.</summary>
    public bool NoExec { get; } = LastFlag(options, "noexec", "exec");

    /// <summary>MNT_NOSUID: execve of a file here honours neither its set-user/group-ID bits nor its file capabilities (mnt_may_suid).</summary>
    public bool NoSuid { get; } = LastFlag(options, "nosuid", "suid");

    /// <summary>MNT_NODEV: opening a device node here answers EACCES.</summary>
    public bool NoDev { get; } = LastFlag(options, "nodev", "dev");

    /// <summary>Whether the options list sets a flag: the last of "on"/"off" wins, as mount(8) reads them.</summary>
    private static bool LastFlag(string options, string on, string off)
    {
        bool set = false;
        foreach (var o in options.Split(',', StringSplitOptions.TrimEntries))
        {
            if (o == on) set = true;
            else if (o == off) set = false;
        }
        return set;
    }
}

/// <summary>The sandbox's mounts, keyed by absolute guest path. The root mount is at "/".</summary>
public sealed class MountTable
{
    private readonly Dictionary<string, Mount> _byPath = new(StringComparer.Ordinal);
    private readonly List<Mount> _ordered = new();

    public Mount Root => _byPath["/"];

    public void Add(Mount mount)
    {
        lock (_ordered)
        {
            _byPath[mount.Path] = mount;
            _ordered.RemoveAll(m => m.Path == mount.Path);
            _ordered.Add(mount);
        }
    }

    public bool TryGet(string absolutePath, out Mount mount)
    {
        lock (_ordered) return _byPath.TryGetValue(absolutePath, out mount!);
    }

    public bool Remove(string absolutePath)
    {
        lock (_ordered)
        {
            if (absolutePath == "/" || !_byPath.Remove(absolutePath)) return false;
            _ordered.RemoveAll(m => m.Path == absolutePath);
            _covered.Remove(absolutePath);
            return true;
        }
    }

    /// <summary>Mounts hidden under a later mount at the same path (mount(2) over a mount point stacks), bottom first.</summary>
    private readonly Dictionary<string, List<Mount>> _covered = new(StringComparer.Ordinal);

    /// <summary>mount(2): the new mount covers whatever is mounted at its path until it is unmounted.</summary>
    public void Push(Mount mount)
    {
        lock (_ordered)
        {
            if (_byPath.TryGetValue(mount.Path, out Mount? below))
            {
                if (!_covered.TryGetValue(mount.Path, out var list)) _covered[mount.Path] = list = new List<Mount>();
                list.Add(below);
            }
            _byPath[mount.Path] = mount;
            _ordered.Add(mount);
        }
    }

    /// <summary>umount2: the mount goes if it is the top one at its path (the one it covered is seen again); false otherwise.</summary>
    public bool Unmount(Mount mount)
    {
        lock (_ordered)
        {
            if (mount.Path == "/" || !_byPath.TryGetValue(mount.Path, out Mount? top) || !ReferenceEquals(top, mount)) return false;
            _ordered.Remove(mount);
            if (_covered.TryGetValue(mount.Path, out var list) && list.Count > 0)
            {
                _byPath[mount.Path] = list[^1];
                list.RemoveAt(list.Count - 1);
                if (list.Count == 0) _covered.Remove(mount.Path);
            }
            else
            {
                _byPath.Remove(mount.Path);
            }
            return true;
        }
    }

    /// <summary>Mounts in the order they were made (for /proc/mounts).</summary>
    public Mount[] Snapshot()
    {
        lock (_ordered) return _ordered.ToArray();
    }
}
