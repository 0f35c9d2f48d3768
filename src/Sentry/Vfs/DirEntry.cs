namespace Csrunsc.Sentry.Vfs;

/// <summary>One directory entry as getdents64 reports it.</summary>
public readonly record struct DirEntry(string Name, ulong Ino, byte Type);
