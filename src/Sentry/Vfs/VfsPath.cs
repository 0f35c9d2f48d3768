namespace Csrunsc.Sentry.Vfs;

/// <summary>
/// A resolved location: the inode, the mount it is in, and the chain of parents up to the root,
/// which gives ".." and the absolute path (getcwd, /proc/self/fd) without asking the filesystem.
/// </summary>
public sealed class VfsPath
{
    public VfsPath(Mount mount, Inode inode, VfsPath? parent, string name)
    {
        Mount = mount;
        Inode = inode;
        Parent = parent;
        Name = name;
        AbsolutePath = parent is null ? "/" : (parent.Parent is null ? "/" + name : parent.AbsolutePath + "/" + name);
    }

    public Mount Mount { get; }
    public Inode Inode { get; }
    public VfsPath? Parent { get; }
    public string Name { get; }
    public string AbsolutePath { get; }

    public override string ToString() => AbsolutePath;
}
