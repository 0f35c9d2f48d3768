using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>A procfs subtree served from another procfs (the guest's network namespace's /proc/sys/net).</summary>
public interface IProcSource
{
    /// <summary>The names in a directory and whether each is a directory; null if it does not exist.</summary>
    List<(string Name, bool Directory)>? List(string path);

    byte[]? Read(string path);

    int Write(string path, string value);
}

/// <summary>
/// A directory mirrored from an <see cref="IProcSource"/>, e.g. /proc/sys/net from the network
/// namespace the guest's sockets live in: values read there are the namespace's. Writes need
/// the capability given (CAP_NET_ADMIN for net.*), as a container's root without it is refused.
/// </summary>
public sealed class ProcMirrorDirectory : ProcDirectory
{
    private readonly IProcSource _source;
    private readonly string _path;
    private readonly int _writeCapability;

    public ProcMirrorDirectory(ProcFileSystem fs, IProcSource source, string path, int writeCapability, uint perm = 0x16D /*0555*/)
        : base(fs, fs.NextIno(), perm, uid: 0, gid: 0) // the network namespace's: its owner is the container's root
    {
        _source = source;
        _path = path;
        _writeCapability = writeCapability;
    }

    protected override int LookupDynamic(string name, out Inode? child)
    {
        child = null;
        if (name.Length == 0 || name == "." || name == ".." || name.Contains('/')) return -Errno.ENOENT;
        var entries = _source.List(_path);
        if (entries is null) return -Errno.ENOENT;
        foreach (var (n, dir) in entries)
        {
            if (n != name) continue;
            string path = _path + "/" + n;
            child = dir
                ? new ProcMirrorDirectory(Fs, _source, path, _writeCapability, Mode & 0xFFF)
                : new ProcFile(Fs, Fs.NextIno(), () => _source.Read(path), 0x1A4, data => WriteValue(path, data), 0, 0);
            return 0;
        }
        return -Errno.ENOENT;
    }

    private int WriteValue(string path, ReadOnlySpan<byte> data)
    {
        if (_writeCapability < 0) return -Errno.EROFS;
        if (Task.Current is not { } t || !Capabilities.Has(t, _writeCapability)) return -Errno.EACCES;
        int r = _source.Write(path, System.Text.Encoding.UTF8.GetString(data));
        return r < 0 ? r : data.Length;
    }

    protected override int ReadDirDynamic(List<DirEntry> into)
    {
        var entries = _source.List(_path);
        if (entries is null) return 0;
        foreach (var (n, dir) in entries)
            into.Add(new DirEntry(n, Fs.NextIno(), FileMode.DirentType(dir ? FileMode.Directory : FileMode.Regular)));
        return 0;
    }
}
