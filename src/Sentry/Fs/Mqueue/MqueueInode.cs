using System.Globalization;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Mqueue;

/// <summary>
/// A POSIX message queue (mqueue_inode_info): messages by priority, oldest first within one,
/// at most mq_maxmsg of at most mq_msgsize bytes. Senders and receivers sleep on
/// <see cref="Queue"/> (also the fds' poll queue: POLLIN with messages, POLLOUT with room).
/// One process may register for a notification, sent when a message arrives in the empty
/// queue and nobody is waiting to receive it.
/// </summary>
public sealed class MqueueInode : Inode
{
    public const int SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2;
    private const int SI_MESGQ = -3;
    /// <summary>Linux's FILENT_SIZE: st_size of a queue.</summary>
    private const long StatSize = 80;

    private readonly MqueueFileSystem _fs;
    private readonly List<(uint Prio, byte[] Data)> _messages = new();
    private uint _mode, _uid, _gid;
    private Timespec _atime, _mtime, _ctime;
    private long _bytes;
    private int _receiversWaiting;

    private ThreadGroup? _notifyOwner;
    private int _notifyKind, _notifySigno;
    private ulong _notifyValue;

    private readonly uint _chargeUid;
    private readonly long _charge;
    private int _openFiles;
    private bool _unlinked, _released;

    public MqueueInode(MqueueFileSystem fs, uint perm, uint uid, uint gid, long maxMsg, long msgSize, uint chargeUid, long charge)
    {
        _chargeUid = chargeUid;
        _charge = charge;
        _fs = fs;
        Ino = fs.NextIno();
        _mode = FileMode.Regular | perm;
        _uid = uid;
        _gid = gid;
        MaxMsg = maxMsg;
        MsgSize = msgSize;
        _atime = _mtime = _ctime = MonotonicClock.Now();
    }

    public ulong Ino { get; }
    public long MaxMsg { get; }
    public long MsgSize { get; }
    public readonly WaitQueue Queue = new();

    public override FileSystem FileSystem => _fs;
    public override uint Mode => _mode;

    public long CurMsgs
    {
        get { lock (_messages) return _messages.Count; }
    }

    public override int GetStat(out StatBuf stat)
    {
        lock (_messages) stat = StatFactory.Make(_fs.Dev, Ino, _mode, 1, _uid, _gid, StatSize, _atime, _mtime, _ctime);
        return 0;
    }

    public override int SetAttr(in SetAttrRequest request)
    {
        lock (_messages)
        {
            if ((request.Mask & SetAttrRequest.SizeBit) != 0) return -Errno.EINVAL;
            if ((request.Mask & SetAttrRequest.ModeBit) != 0) _mode = FileMode.Regular | (request.Mode & 0xFFF);
            if ((request.Mask & SetAttrRequest.UidBit) != 0) _uid = request.Uid;
            if ((request.Mask & SetAttrRequest.GidBit) != 0) _gid = request.Gid;
            _ctime = MonotonicClock.Now();
        }
        return 0;
    }

    public override int Open(int flags, out FileDescription? file)
    {
        file = (flags & Libc.O_PATH) != 0 ? new PathFileDescription(this, flags) : new MqueueFile(this, flags);
        return 0;
    }

    /// <summary>Its name is gone; open descriptions keep the queue until the last closes.</summary>
    internal void Unlinked()
    {
        lock (_messages) _unlinked = true;
        ReleaseIfUnused();
    }

    internal void FileOpened()
    {
        lock (_messages) _openFiles++;
    }

    internal void FileClosed()
    {
        lock (_messages) _openFiles--;
        ReleaseIfUnused();
    }

    /// <summary>mqueue_evict_inode(): no name and no description: the messages go and the creator's reservation is given back.</summary>
    private void ReleaseIfUnused()
    {
        lock (_messages)
        {
            if (!_unlinked || _openFiles > 0 || _released) return;
            _released = true;
            _messages.Clear();
            _bytes = 0;
        }
        _fs.Uncharge(_chargeUid, _charge);
    }

    public short Readiness(short mask)
    {
        short r = 0;
        lock (_messages)
        {
            if (_messages.Count > 0) r |= (short)(Libc.POLLIN | PollEvents.RdNorm);
            if (_messages.Count < MaxMsg) r |= (short)(Libc.POLLOUT | PollEvents.WrNorm);
        }
        return (short)(r & mask);
    }

    /// <summary>mq_timedsend: -EAGAIN (non-blocking and full), -ETIMEDOUT, -ERESTARTSYS, or 0.</summary>
    public int Send(Task t, byte[] data, uint prio, bool nonBlocking, long deadlineNs)
    {
        Queue.Subscribe(t);
        try
        {
            while (true)
            {
                bool notify = false;
                lock (_messages)
                {
                    if (_messages.Count < MaxMsg)
                    {
                        int at = _messages.Count;
                        while (at > 0 && _messages[at - 1].Prio < prio) at--;
                        _messages.Insert(at, (prio, data));
                        _bytes += data.Length;
                        _atime = _mtime = _ctime = MonotonicClock.Now();
                        // A waiting receiver takes the message instead of the notification (pipelined_send).
                        notify = _messages.Count == 1 && _receiversWaiting == 0 && _notifyOwner is not null;
                    }
                    else if (nonBlocking)
                    {
                        return -Errno.EAGAIN;
                    }
                    else
                    {
                        goto wait;
                    }
                }
                Queue.Notify(PollEvents.In | PollEvents.RdNorm);
                if (notify) Notify(t);
                return 0;
            wait:
                int r = t.BlockUntil(deadlineNs);
                if (r < 0) return r;
            }
        }
        finally
        {
            Queue.Unsubscribe(t);
        }
    }

    /// <summary>mq_timedreceive: the highest-priority oldest message, or -EAGAIN/-ETIMEDOUT/-ERESTARTSYS.</summary>
    public int Receive(Task t, bool nonBlocking, long deadlineNs, out byte[]? data, out uint prio)
    {
        data = null;
        prio = 0;
        Queue.Subscribe(t);
        try
        {
            while (true)
            {
                lock (_messages)
                {
                    if (_messages.Count > 0)
                    {
                        (prio, data) = _messages[0];
                        _messages.RemoveAt(0);
                        _bytes -= data.Length;
                        _atime = _ctime = MonotonicClock.Now();
                    }
                    else if (nonBlocking)
                    {
                        return -Errno.EAGAIN;
                    }
                    else
                    {
                        _receiversWaiting++;
                    }
                }
                if (data is not null)
                {
                    Queue.Notify(PollEvents.Out | PollEvents.WrNorm);
                    return 0;
                }
                int r = t.BlockUntil(deadlineNs);
                lock (_messages) _receiversWaiting--;
                if (r < 0) return r;
            }
        }
        finally
        {
            Queue.Unsubscribe(t);
        }
    }

    /// <summary>mq_notify registration: -EBUSY when another process holds it.</summary>
    public int Register(ThreadGroup owner, int kind, int signo, ulong value)
    {
        lock (_messages)
        {
            if (_notifyOwner is not null && !_notifyOwner.Zombie) return -Errno.EBUSY;
            _notifyOwner = owner;
            _notifyKind = kind;
            _notifySigno = signo;
            _notifyValue = value;
            _atime = _ctime = MonotonicClock.Now();
        }
        return 0;
    }

    /// <summary>mq_notify(NULL), or a close by the owner: the registration goes if owner holds it.</summary>
    public void Unregister(ThreadGroup owner)
    {
        lock (_messages)
        {
            if (_notifyOwner != owner) return;
            _notifyOwner = null;
            _atime = _ctime = MonotonicClock.Now();
        }
    }

    /// <summary>__do_notify(): signals the owner (SIGEV_SIGNAL) and drops the registration.</summary>
    private void Notify(Task sender)
    {
        ThreadGroup? owner;
        int kind, signo;
        ulong value;
        lock (_messages)
        {
            owner = _notifyOwner;
            kind = _notifyKind;
            signo = _notifySigno;
            value = _notifyValue;
            _notifyOwner = null;
        }
        if (owner is null || kind != SIGEV_SIGNAL || signo == 0 || owner.Zombie) return;
        owner.Kernel.SendGroupSignal(owner, new SigInfo
        {
            Signo = signo, Code = SI_MESGQ, Pid = sender.ThreadGroup.Tgid, Uid = (int)sender.ThreadGroup.Creds.Uid, Value = value,
        }, fromHost: false);
    }

    /// <summary>What reading the queue's file shows (mqueue_read_file).</summary>
    public byte[] StatusLine()
    {
        lock (_messages)
        {
            bool registered = _notifyOwner is not null;
            string line = string.Format(CultureInfo.InvariantCulture, "QSIZE:{0,-10} NOTIFY:{1,-5} SIGNO:{2,-5} NOTIFY_PID:{3,-6}\n",
                _bytes, registered ? _notifyKind : 0, registered && _notifyKind == SIGEV_SIGNAL ? _notifySigno : 0,
                registered ? _notifyOwner!.Tgid : 0);
            return Encoding.ASCII.GetBytes(line);
        }
    }
}
