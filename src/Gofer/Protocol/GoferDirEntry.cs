namespace Csrunsc.Gofer;

/// <summary>One directory entry: name, host inode number, d_type (DT_*), and the offset to resume after it.</summary>
public readonly record struct GoferDirEntry(string Name, ulong Ino, byte Type, ulong NextOffset)
{
    public const byte DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;
}
