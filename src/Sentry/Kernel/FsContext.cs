using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Kernel;

/// <summary>Root, working directory and umask (struct fs_struct), shared with CLONE_FS.</summary>
public sealed class FsContext(VfsPath root, VfsPath cwd, uint umask)
{
    public VfsPath Root { get; set; } = root;
    public VfsPath Cwd { get; set; } = cwd;
    public uint Umask { get; set; } = umask;

    public FsContext Clone() => new(Root, Cwd, Umask);
}
