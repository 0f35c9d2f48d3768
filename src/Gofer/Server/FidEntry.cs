using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>
/// What a fid names on the host: an O_PATH|O_NOFOLLOW fd plus where it was walked from (parent fid
/// and name), so a non-directory can be reopened with real flags by openat(parentFd, name, O_NOFOLLOW).
/// Directories reopen through openat(fd, ".").
/// </summary>
internal sealed class FidEntry
{
    /// <summary>O_PATH|O_NOFOLLOW fd (owned).</summary>
    public int Fd = -1;

    /// <summary>Directories: an O_RDONLY|O_DIRECTORY fd opened by the first ReadDir (owned), else -1.</summary>
    public int DirReadFd = -1;

    /// <summary>Slot of the fid this one was walked from, or -1 at an attach point.</summary>
    public int Parent = -1;

    /// <summary>NUL-terminated name under <see cref="Parent"/> (null at an attach point).</summary>
    public byte[]? Name;

    /// <summary>Index of the attach point this fid lies under.</summary>
    public int Attach;

    public uint Mode;
    public ulong Dev;
    public ulong Ino;

    /// <summary>One reference while the client holds the fid, plus one per child fid.</summary>
    public int Refs;

    public bool ClientHeld;

    public bool IsDirectory => (Mode & StatBuf.S_IFMT) == StatBuf.S_IFDIR;

    public bool IsSymlink => (Mode & StatBuf.S_IFMT) == StatBuf.S_IFLNK;

    public bool IsRegular => (Mode & StatBuf.S_IFMT) == StatBuf.S_IFREG;

    public void SetIdentity(in StatBuf st)
    {
        Mode = st.Mode;
        Dev = st.Dev;
        Ino = st.Ino;
    }
}
