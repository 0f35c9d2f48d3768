namespace Csrunsc.Sentry.Vfs.Inotify;

/// <summary>One watch: an inotify instance's interest (mask) in one file, named by its descriptor wd.</summary>
internal sealed class Watch(InotifyFile owner, int wd, WatchTarget target, uint mask)
{
    public InotifyFile Owner { get; } = owner;
    public int Wd { get; } = wd;
    public WatchTarget Target { get; } = target;

    /// <summary>Events and IN_ONESHOT/IN_EXCL_UNLINK; guarded by <see cref="Fsnotify.Sync"/>.</summary>
    public uint Mask = mask;
}
