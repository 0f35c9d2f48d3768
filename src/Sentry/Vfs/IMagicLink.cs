namespace Csrunsc.Sentry.Vfs;

/// <summary>
/// A symlink the path walk follows to an open file's location rather than its text (Linux's
/// nd_jump_link, /proc/PID/fd/N): a deleted or O_TMPFILE file stays reachable through it.
/// </summary>
public interface IMagicLink
{
    /// <summary>Where following the link lands, or null to follow its text.</summary>
    VfsPath? JumpTarget();
}
