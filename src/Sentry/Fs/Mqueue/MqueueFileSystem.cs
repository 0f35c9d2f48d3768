using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Mqueue;

/// <summary>
/// The mqueue filesystem of an IPC namespace: a flat directory of POSIX message queues. mq_open
/// and mq_unlink work on it directly (as Linux's ipc_ns->mq_mnt); every mqueue mount of the
/// sandbox (/dev/mqueue) shows this same instance, so `ls /dev/mqueue` lists the queues and
/// reading one gives its status line.
/// </summary>
public sealed class MqueueFileSystem : FileSystem
{
    // Linux's defaults (fs.mqueue.*) and hard limits (ipc/mqueue.c, include/linux/ipc_namespace.h).
    public const int QueuesMax = 256, MsgMax = 10, MsgSizeMax = 8192, MsgDefault = 10, MsgSizeDefault = 8192;
    public const int HardMsgMax = 65536, HardMsgSizeMax = 16 * 1024 * 1024;
    public const int PrioMax = 32768;

    private readonly MqueueDirectory _root;

    public MqueueFileSystem() : base("mqueue", readOnly: false)
    {
        _root = new MqueueDirectory(this);
    }

    public override Inode Root => _root;

    public MqueueDirectory Directory => _root;
}
