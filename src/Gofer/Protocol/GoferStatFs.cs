using System.Runtime.InteropServices;

namespace Csrunsc.Gofer;

/// <summary>File system statistics of the host file system behind a fid (the fields of statfs(2) a guest sees).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GoferStatFs
{
    public long Type;
    public long BlockSize;
    public ulong Blocks;
    public ulong BlocksFree;
    public ulong BlocksAvailable;
    public ulong Files;
    public ulong FilesFree;
    public long NameLength;
    public long FragmentSize;
    public long Flags;
}
