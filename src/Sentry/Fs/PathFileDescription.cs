using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs;

/// <summary>An O_PATH descriptor: names a file (for *at calls, fstat, /proc/self/fd) but cannot read or write it.</summary>
public sealed class PathFileDescription(Inode inode, int flags) : FileDescription(inode, flags)
{
    public override short Readiness(short mask) => 0;
}
