using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>
/// /proc/net (= /proc/PID/net; one network namespace per sandbox): files the subsystems that
/// own them add — the host network's tables (dev, tcp, udp, route, ...) and the Sentry's own
/// (unix). A file whose generator returns null is absent.
/// </summary>
public sealed class ProcNetDirectory : ProcDirectory
{
    public ProcNetDirectory(ProcFileSystem fs) : base(fs, fs.NextIno())
    {
    }

    /// <summary>Adds (or replaces) /proc/net/NAME, generated when opened.</summary>
    // The network namespace's files belong to the container's root (the directory itself to host root, as Linux shows it).
    public void AddFile(string name, Func<byte[]?> generate) => Add(name, new ProcFile(Fs, Fs.NextIno(), () => generate() ?? [], uid: 0, gid: 0));

    /// <summary>Adds a directory mirrored from elsewhere (e.g. the namespace's own /proc/net/stat).</summary>
    public void AddDirectory(string name, Inode directory) => Add(name, directory);
}
