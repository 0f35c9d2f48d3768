namespace Csrunsc.Gofer.Server;

/// <summary>
/// One tree the gofer serves: the rootfs (index 0) or a bind-mount source, opened before
/// confinement. A directory is held as an O_PATH fd; a single file additionally keeps an O_PATH fd
/// of its host parent directory and its name so it can be reopened with real flags (no /proc after chroot).
/// </summary>
public sealed class AttachPoint
{
    /// <summary>Where the Sentry mounts it ("/" for the rootfs).</summary>
    public required string GuestPath { get; init; }

    /// <summary>O_PATH fd of the directory or file itself.</summary>
    public required int Fd { get; init; }

    public required bool IsDirectory { get; init; }

    /// <summary>Every mutation and every write-access open answers EROFS.</summary>
    public required bool ReadOnly { get; init; }

    /// <summary>Single file only: O_PATH fd of the host directory that holds it, else -1.</summary>
    public int ParentFd { get; init; } = -1;

    /// <summary>Single file only: its NUL-terminated name inside <see cref="ParentFd"/>.</summary>
    public byte[]? Name { get; init; }

    /// <summary>Device and inode of the file, to check a reopened single file is still the same one.</summary>
    public ulong Dev { get; init; }

    public ulong Ino { get; init; }
}
