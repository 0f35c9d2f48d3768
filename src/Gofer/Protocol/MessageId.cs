namespace Csrunsc.Gofer.Protocol;

/// <summary>
/// Gofer request kinds. A response echoes the request's id; its payload starts with an i32 errno
/// (0 = success) and carries the body below only on success. Fields are little-endian; strings are
/// u32 byte length + UTF-8 bytes (no NUL); <c>Stat</c> is the 144-byte x86-64 <c>struct stat</c>.
/// </summary>
public enum MessageId : ushort
{
    /// <summary>u32 index → u32 fid, Stat. Index 0 is the rootfs, i ≥ 1 is bind mount i-1.</summary>
    Attach = 1,
    /// <summary>u32 dirFid, str name → u32 fid, Stat. Exactly one component; never follows a symlink.</summary>
    Walk = 2,
    /// <summary>u32 fid → Stat.</summary>
    Stat = 3,
    /// <summary>u32 fid, i32 flags → (empty) + one host fd by SCM_RIGHTS.</summary>
    Open = 4,
    /// <summary>u32 dirFid, str name, i32 flags, u32 mode, u32 uid, u32 gid → u32 fid, Stat + one host fd.</summary>
    Create = 5,
    /// <summary>u32 dirFid, str name, u32 mode, u32 uid, u32 gid → u32 fid, Stat.</summary>
    Mkdir = 6,
    /// <summary>u32 dirFid, str name, u32 mode, u64 dev, u32 uid, u32 gid → u32 fid, Stat (regular, FIFO, socket only).</summary>
    Mknod = 7,
    /// <summary>u32 dirFid, str name, str target, u32 uid, u32 gid → u32 fid, Stat.</summary>
    Symlink = 8,
    /// <summary>u32 dirFid, str name, u32 targetFid → u32 fid, Stat (a hard link to targetFid's file).</summary>
    Link = 9,
    /// <summary>u32 dirFid, str name, i32 flags (AT_REMOVEDIR) → (empty).</summary>
    Unlink = 10,
    /// <summary>u32 oldDirFid, str oldName, u32 newDirFid, str newName, u32 flags (RENAME_*) → (empty).</summary>
    Rename = 11,
    /// <summary>u32 fid → str target.</summary>
    Readlink = 12,
    /// <summary>
    /// u32 fid, u64 offset, u32 maxBytes → u64 nextOffset, u8 eof, u32 count, count × (u64 ino, u64 off, u8 type, str name).
    /// "." and ".." are left out. Start at offset 0, continue at nextOffset until eof.
    /// </summary>
    ReadDir = 13,
    /// <summary>u32 fid, u32 mask (<see cref="SetAttrMask"/>), u32 mode, u32 uid, u32 gid, u64 size,
    /// i64 atimeSec, i64 atimeNsec, i64 mtimeSec, i64 mtimeNsec → Stat after the change.</summary>
    SetAttr = 14,
    /// <summary>u32 fid → <see cref="GoferStatFs"/> (raw, 64 bytes).</summary>
    StatFs = 15,
    /// <summary>u32 count, count × u32 fid → (empty). Unknown fids are ignored.</summary>
    Close = 16,
}
