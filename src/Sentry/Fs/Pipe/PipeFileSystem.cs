using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pipe;

/// <summary>pipefs: the never-mounted filesystem anonymous pipes belong to (their st_dev and inode numbers).</summary>
public sealed class PipeFileSystem : FileSystem
{
    public static readonly PipeFileSystem Instance = new();

    private PipeInode? _root;

    private PipeFileSystem() : base("pipefs", false)
    {
    }

    public override Inode Root => _root ??= new PipeInode(new Pipe());
}
