using Csrunsc.Sentry.Fs.Socket.Unix;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>
/// /proc/PID/net (/proc/net is a link to self/net): the files of the process's network
/// namespace, each generated when opened. Files of other protocols are added here, next to unix.
/// </summary>
public sealed class ProcNetDirectory : ProcDirectory
{
    /// <param name="nextIno">Hands out inode numbers for the files (the owning pid directory's slots).</param>
    /// <param name="live">Whether the process still exists (its files answer ESRCH once it is gone).</param>
    public ProcNetDirectory(ProcFileSystem fs, ulong ino, Func<ulong> nextIno, Func<bool> live, uint uid, uint gid)
        : base(fs, ino, 0x16D, uid, gid)
    {
        Add("unix", new ProcFile(fs, nextIno(), () => live() ? UnixProcNet.Table(fs.Kernel) : null, 0x124, null, uid, gid));
    }
}
