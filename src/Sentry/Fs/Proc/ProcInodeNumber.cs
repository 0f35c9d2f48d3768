namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>
/// Stable inode numbers for per-process procfs entries, so repeated lookups (find, ls -i) agree:
/// kind in the top bits, then the pid or tid, then a slot (a file index or an fd number).
/// </summary>
public static class ProcInodeNumber
{
    public const int PidKind = 1, TaskKind = 2, FdKind = 3, FdInfoKind = 4;

    public static ulong Make(int kind, int id, int slot) =>
        ((ulong)kind << 48) | ((ulong)(uint)id << 20) | (uint)slot & 0xFFFFF;
}
