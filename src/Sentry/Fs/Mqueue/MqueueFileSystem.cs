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
    public const int DefaultQueuesMax = 256, DefaultMsgMax = 10, DefaultMsgSizeMax = 8192, DefaultMsgDefault = 10, DefaultMsgSizeDefault = 8192;
    /// <summary>The namespace's fs.mqueue.* tunables (config.json's linux.sysctl sets them, IpcSysctls).</summary>
    public int QueuesMax = DefaultQueuesMax, MsgMax = DefaultMsgMax, MsgSizeMax = DefaultMsgSizeMax, MsgDefault = DefaultMsgDefault, MsgSizeDefault = DefaultMsgSizeDefault;
    public const int HardMsgMax = 65536, HardMsgSizeMax = 16 * 1024 * 1024;
    public const int PrioMax = 32768;

    private readonly MqueueDirectory _root;
    private readonly Dictionary<uint, long> _userBytes = new();

    /// <summary>RLIMIT_MSGQUEUE's default (bytes a user's queues may reserve).</summary>
    public const long DefaultMsgQueueLimit = 819200;
    private const int RLIMIT_MSGQUEUE = 12;

    public MqueueFileSystem() : base("mqueue", readOnly: false)
    {
        _root = new MqueueDirectory(this);
    }

    public override Inode Root => _root;

    public MqueueDirectory Directory => _root;

    /// <summary>
    /// What a queue reserves against its creator's RLIMIT_MSGQUEUE (mqueue_get_inode): its messages
    /// plus Linux's per-message (struct msg_msg) and per-priority (tree node) overheads, 48 bytes each.
    /// </summary>
    public static long Reservation(long maxMsg, long msgSize) => maxMsg * msgSize + maxMsg * 48 + Math.Min(maxMsg, PrioMax) * 48;

    /// <summary>The creating task's RLIMIT_MSGQUEUE.</summary>
    public static long LimitOf(Kernel.Task t)
    {
        lock (t.ThreadGroup.Rlimits)
            return (long)Math.Min(t.ThreadGroup.Rlimits[RLIMIT_MSGQUEUE].Cur, long.MaxValue);
    }

    /// <summary>Charges a new queue to uid; false (EMFILE) past the limit. This bounds the Sentry memory queues can hold.</summary>
    public bool Charge(uint uid, long bytes, long limit)
    {
        lock (_userBytes)
        {
            _userBytes.TryGetValue(uid, out long used);
            if (used + bytes < used || used + bytes > limit) return false;
            _userBytes[uid] = used + bytes;
            return true;
        }
    }

    public void Uncharge(uint uid, long bytes)
    {
        lock (_userBytes)
        {
            if (_userBytes.TryGetValue(uid, out long used)) _userBytes[uid] = Math.Max(0, used - bytes);
        }
    }
}
