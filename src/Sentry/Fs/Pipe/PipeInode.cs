using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Pipe;

/// <summary>The inode of an anonymous pipe: fstat shows a FIFO on pipefs; /proc/self/fd shows pipe:[ino].</summary>
public sealed class PipeInode : Inode
{
    private readonly Timespec _created;
    private readonly uint _uid, _gid;

    public PipeInode(Pipe pipe)
    {
        Pipe = pipe;
        Ino = PipeFileSystem.Instance.NextIno();
        _created = MonotonicClock.Now();
        if (Kernel.Task.Current is { } t)
        {
            _uid = t.ThreadGroup.Creds.Euid;
            _gid = t.ThreadGroup.Creds.Egid;
        }
    }

    public Pipe Pipe { get; }

    public ulong Ino { get; }

    public override FileSystem FileSystem => PipeFileSystem.Instance;

    public override uint Mode => FileMode.Fifo | 0x180;

    public override int GetStat(out StatBuf stat)
    {
        stat = StatFactory.Make(PipeFileSystem.Instance.Dev, Ino, Mode, 1, _uid, _gid, 0, _created, _created, _created);
        stat.Blocks = 0;
        return 0;
    }

    /// <summary>Reopening through /proc/self/fd/N gives another end of the same pipe.</summary>
    public override int Open(int flags, out FileDescription? file) =>
        Pipe.OpenFifo(this, flags, Kernel.Task.Current, out file);

    public override int SetAttr(in SetAttrRequest request) => 0;
}
