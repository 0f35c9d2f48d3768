using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// An AF_UNIX socket of any type (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET), built as Linux's
/// af_unix: every socket owns a receive queue of <see cref="UnixMessage"/>s that its peers fill;
/// a connected socket points at its peer; a listener's queue holds the half-made connections
/// (embryos) that accept hands out; what a socket has queued at its peers is charged to its own
/// SO_SNDBUF budget, which is what makes writers block. Readiness, wake-ups and error rules follow
/// unix_poll/unix_dgram_poll and the socket core's callbacks, so that epoll edges come at the same
/// moments as on Linux.
///
/// Locking: <c>_lock</c> guards a socket's state and queue. Where two are held, a listener's is
/// taken before the connecting socket's (as Linux) and two datagram sockets' in <see cref="Id"/>
/// order. Nothing is released (DecRef) and no other socket's lock is taken for notification while
/// a lock is held, except as those two rules allow.
/// </summary>
public sealed partial class UnixSocket : SocketFile
{
    internal const int RcvShutdown = 1, SendShutdown = 2, ShutdownMask = 3;

    /// <summary>net.core.wmem_default / rmem_default.</summary>
    public const int DefaultBuffer = 212992;

    /// <summary>net.core.wmem_max / rmem_max (this host's values; SO_SNDBUF/SO_RCVBUF are clamped to them).</summary>
    public const int BufferMax = 4194304;

    /// <summary>SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF of x86-64.</summary>
    private const int MinSndbuf = 4608, MinRcvbuf = 2304;

    /// <summary>net.unix.max_dgram_qlen: the datagram queue length past which unconnected senders wait.</summary>
    public const int MaxDgramQlen = 10;

    /// <summary>SIOCINQ (= FIONREAD) and SIOCOUTQ (= TIOCOUTQ).</summary>
    private const ulong SIOCINQ = 0x541B, SIOCOUTQ = 0x5411;

    private enum State : byte
    {
        Close,
        Listen,
        Established,
    }

    private static long s_nextId;

    private readonly object _lock = new();
    private readonly object _bindLock = new();
    private readonly WaitQueue _queue = new();

    /// <summary>Linux's peer_wait: connecters and datagram senders waiting for this socket's queue to drain.</summary>
    private readonly WaitQueue _peerWait = new();

    private readonly UnixSocketFamily _family;
    private readonly PeerWakeRelay _relay;

    private volatile State _state;
    private int _shutdown;
    private int _err;
    private bool _dead;
    private bool _embryo;
    private UnixSocket? _peer;
    private int _peerRefs;
    private UnixAddress? _addr;
    private (ulong Dev, ulong Ino)? _node;

    private UnixMessage? _head, _tail;
    private int _qlen;
    private long _qbytes;
    private int _maxBacklog = MaxDgramQlen;

    private long _wmem;

    private UnixCredentials _peerCred = new(0, UnixCredentials.Invalid, UnixCredentials.Invalid);

    /// <summary>In-flight references (SCM_RIGHTS in some queue) and the collector's scratch state; guarded by the collector's lock.</summary>
    internal int Inflight, GcRefs;
    internal bool GcCandidate, GcAlive;

    internal UnixSocket(UnixSocketFamily family, UnixNamespace ns, int type, int flags, bool embryo = false)
        : base(SocketFamilies.AF_UNIX, type, 0, flags)
    {
        _family = family;
        Namespace = ns;
        Id = Interlocked.Increment(ref s_nextId);
        _embryo = embryo;
        _relay = new PeerWakeRelay(this);
        ns.Added(this);
    }

    internal long Id { get; }

    internal UnixNamespace Namespace { get; }

    public override WaitQueue? ReadinessQueue => _queue;

    private bool IsConnectionOriented => Type is SOCK_STREAM or SOCK_SEQPACKET;

    /// <summary>Links two new sockets back to back (unix_socketpair).</summary>
    internal static void Pair(Task t, UnixSocket a, UnixSocket b)
    {
        var creds = UnixCredentials.Effective(t);
        a._peer = b;
        b._peer = a;
        a._peerRefs = b._peerRefs = 1;
        a._peerCred = b._peerCred = creds;
        a._state = b._state = State.Established;
    }

    // ---- readiness ------------------------------------------------------------------------

    public override short Readiness(short mask)
    {
        uint ev = 0;
        UnixSocket? other;
        bool writable;
        lock (_lock)
        {
            if (_err != 0) ev |= PollEvents.Err;
            if (_shutdown == ShutdownMask) ev |= PollEvents.Hup;
            if ((_shutdown & RcvShutdown) != 0) ev |= PollEvents.RdHup | PollEvents.In | PollEvents.RdNorm;
            if (_head is not null) ev |= PollEvents.In | PollEvents.RdNorm;
            // Connection-oriented sockets that are not connected (or whose connection ended) hang up.
            if (IsConnectionOriented && _state == State.Close) ev |= PollEvents.Hup;
            writable = WritableLocked();
            other = _peer;
        }
        if (Type == SOCK_STREAM)
        {
            if (writable) ev |= PollEvents.Out | PollEvents.WrNorm | PollEvents.WrBand;
        }
        else if (((uint)(ushort)mask & (PollEvents.Out | PollEvents.WrNorm | PollEvents.WrBand)) != 0)
        {
            // unix_dgram_poll: a socket connected to one that is not connected back to it is not
            // writable while that one's queue is full (and is told when it drains).
            if (writable && other is not null && !ReferenceEquals(other.PeerOf, this) && other.RecvQueueFull && _relay.WakeMe(other)) writable = false;
            if (writable) ev |= PollEvents.Out | PollEvents.WrNorm | PollEvents.WrBand;
        }
        return (short)(ev & ((uint)(ushort)mask | PollEvents.Err | PollEvents.Hup));
    }

    /// <summary>unix_writable: not listening, and at most a quarter of the send budget in use.</summary>
    private bool WritableLocked() => _state != State.Listen && Volatile.Read(ref _wmem) * 4 <= Volatile.Read(ref _sndbuf);

    private UnixSocket? PeerOf => Volatile.Read(ref _peer);

    /// <summary>unix_recvq_full: more queued than the backlog (listen) or max_dgram_qlen allows.</summary>
    private bool RecvQueueFull => Volatile.Read(ref _qlen) > Volatile.Read(ref _maxBacklog);

    private bool Dead => Volatile.Read(ref _dead);

    // ---- the socket core's wake-ups ------------------------------------------------------

    /// <summary>sk_data_ready.</summary>
    private void DataReady() => _queue.Notify(PollEvents.In | PollEvents.Pri | PollEvents.RdNorm | PollEvents.RdBand);

    /// <summary>sk_state_change: every waiter re-checks.</summary>
    private void StateChange() => _queue.Notify(PollEvents.All);

    /// <summary>sk_error_report.</summary>
    private void ErrorReport() => _queue.Notify(PollEvents.Err);

    private void WriteSpaceWakeup() => _queue.Notify(PollEvents.Out | PollEvents.WrNorm | PollEvents.WrBand);

    /// <summary>sock_wfree: a message this socket sent was freed; writers wake once it is writable again (unix_write_space).</summary>
    internal void ReturnCharge(int charge)
    {
        if (charge == 0) return;
        long w = Interlocked.Add(ref _wmem, -charge);
        if (_state != State.Listen && w * 4 <= Volatile.Read(ref _sndbuf)) WriteSpaceWakeup();
    }

    /// <summary>sock_error: takes the pending error (0 if none), as -errno.</summary>
    private int TakeError()
    {
        if (Volatile.Read(ref _err) == 0) return 0;
        return -Interlocked.Exchange(ref _err, 0);
    }

    // ---- queue ---------------------------------------------------------------------------

    private void EnqueueLocked(UnixMessage m)
    {
        m.Next = null;
        if (_tail is null) _head = m;
        else _tail.Next = m;
        _tail = m;
        _qlen++;
        _qbytes += m.Unread;
    }

    private UnixMessage DequeueLocked()
    {
        var m = _head!;
        _head = m.Next;
        if (_head is null) _tail = null;
        m.Next = null;
        _qlen--;
        _qbytes -= m.Unread;
        return m;
    }

    /// <summary>Takes the whole queue (the caller frees it outside the lock).</summary>
    private UnixMessage? TakeQueueLocked()
    {
        var all = _head;
        _head = _tail = null;
        _qlen = 0;
        _qbytes = 0;
        return all;
    }

    /// <summary>Frees messages: their descriptions are closed and their senders' budgets given back.</summary>
    private static void FreeAll(UnixMessage? m)
    {
        while (m is not null)
        {
            var next = m.Next;
            Free(m);
            m = next;
        }
    }

    private static void Free(UnixMessage m)
    {
        if (m.Rights is { } rights)
        {
            m.Rights = null;
            UnixGarbageCollector.Dequeued(rights);
            foreach (var f in rights) f.DecRef();
        }
        if (m.Embryo is { } embryo)
        {
            m.Embryo = null;
            embryo.DecRef();
        }
        m.Sender?.ReturnCharge(m.Charge);
        m.Recycle();
    }

    /// <summary>For the garbage collector: the unix sockets passed in this socket's queue (and in its embryos' queues).</summary>
    internal void ForEachInflight(Action<UnixSocket> visit)
    {
        lock (_lock)
        {
            for (var m = _head; m is not null; m = m.Next)
            {
                if (m.Rights is { } rights)
                {
                    foreach (var f in rights)
                    {
                        if (f is UnixSocket u) visit(u);
                    }
                }
                m.Embryo?.ForEachInflight(visit);
            }
        }
    }

    /// <summary>For the garbage collector: detaches every passed description from this socket's queue (and its embryos').</summary>
    internal void TakeInflight(List<FileDescription[]> into)
    {
        lock (_lock)
        {
            for (var m = _head; m is not null; m = m.Next)
            {
                if (m.Rights is { } rights)
                {
                    m.Rights = null;
                    into.Add(rights);
                }
                m.Embryo?.TakeInflight(into);
            }
        }
    }

    // ---- release ---------------------------------------------------------------------------

    /// <summary>unix_release_sock: the last reference is gone (close, or an embryo dropped with its listener).</summary>
    protected override void OnRelease()
    {
        Namespace.Removed(this);
        UnixAddress? addr;
        (ulong, ulong)? node;
        UnixSocket? peer;
        UnixMessage? queue;
        State state;
        bool embryo;
        lock (_bindLock)
        {
            addr = _addr;
            node = _node;
        }
        if (addr is { IsAbstract: true }) Namespace.UnbindAbstract(this, addr);
        if (node is { } n) _family.Paths.Unbind(n, this);
        lock (_lock)
        {
            _dead = true;
            _shutdown = ShutdownMask;
            state = _state;
            _state = State.Close;
            peer = _peer;
            _peer = null;
            embryo = _embryo;
            queue = TakeQueueLocked();
        }
        _peerWait.Notify(PollEvents.All);
        if (peer is not null)
        {
            if (IsConnectionOriented)
            {
                lock (peer._lock)
                {
                    peer._shutdown = ShutdownMask;
                    if (queue is not null || embryo) peer._err = Errno.ECONNRESET;
                }
                peer.StateChange();
            }
            _relay.Disconnect(peer);
            Interlocked.Decrement(ref peer._peerRefs);
        }
        // A listener's pending connections die with it; their connecters see ECONNRESET.
        FreeAll(queue);
        if (UnixGarbageCollector.Pending) UnixGarbageCollector.Collect();
    }

    // ---- names, shutdown, ioctl --------------------------------------------------------------

    public override int GetName(Task t, bool peer, Span<byte> address, out int length)
    {
        UnixAddress? addr;
        if (peer)
        {
            var other = PeerOf;
            if (other is null)
            {
                length = 0;
                return -Errno.ENOTCONN;
            }
            addr = other.Address;
        }
        else
        {
            addr = Address;
        }
        length = addr is null ? UnixAddress.WriteUnnamed(address) : addr.WriteTo(address);
        return 0;
    }

    /// <summary>The bound name (null while unnamed).</summary>
    internal UnixAddress? Address => Volatile.Read(ref _addr);

    /// <summary>unix_shutdown: marks this socket and, for connection-oriented ones, the peer's opposite direction. 0 even when unconnected, as Linux.</summary>
    public override int Shutdown(Task t, int how)
    {
        if (how is < SHUT_RD or > SHUT_RDWR) return -Errno.EINVAL;
        int mode = how + 1;
        UnixSocket? other;
        lock (_lock)
        {
            _shutdown |= mode;
            other = _peer;
        }
        StateChange();
        if (other is not null && IsConnectionOriented)
        {
            int peerMode = ((mode & RcvShutdown) != 0 ? SendShutdown : 0) | ((mode & SendShutdown) != 0 ? RcvShutdown : 0);
            lock (other._lock) other._shutdown |= peerMode;
            other.StateChange();
        }
        return 0;
    }

    public override int Ioctl(Task task, ulong request, ulong arg)
    {
        long amount;
        switch (request)
        {
            case SIOCOUTQ:
                amount = Volatile.Read(ref _wmem);
                break;
            case SIOCINQ:
                lock (_lock)
                {
                    if (_state == State.Listen) return -Errno.EINVAL;
                    amount = Type == SOCK_DGRAM ? _head?.Unread ?? 0 : _qbytes;
                }
                break;
            default:
                // The socket-generic ioctls (SIOCGIF*, ...) are the base class's.
                return base.Ioctl(task, request, arg);
        }
        return task.WriteStruct(arg, (int)Math.Min(amount, int.MaxValue)) < 0 ? -Errno.EFAULT : 0;
    }

    // ---- /proc/net/unix ------------------------------------------------------------------------

    /// <summary>
    /// This socket's row of /proc/net/unix as unix_seq_show prints it: a hashed address, the
    /// reference count (2, plus one for every socket whose peer this is), protocol 0, __SO_ACCEPTCON
    /// for a listener, the type, the state (an embryo is "connecting"), the inode, the name.
    /// </summary>
    internal void AppendProcRow(List<byte> into)
    {
        State state;
        bool embryo;
        lock (_lock)
        {
            state = _state;
            embryo = _embryo;
        }
        int ss = !embryo ? (state == State.Established ? 3 : 1) : (state == State.Established ? 2 : 4);
        ulong ino = Inode is SocketInode si ? si.Ino : 0;
        uint hash = (uint)((ulong)Id * 0x9E3779B97F4A7C15UL >> 32);
        string row = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{hash:x16}: {2 + Volatile.Read(ref _peerRefs):X8} {0:X8} {(state == State.Listen ? 0x10000 : 0):X8} {Type:X4} {ss:X2} {ino,5}");
        into.AddRange(System.Text.Encoding.ASCII.GetBytes(row));
        if (Address is { } addr)
        {
            into.Add((byte)' ');
            addr.AppendProcPath(into);
        }
        into.Add((byte)'\n');
    }

    // ---- waiting -----------------------------------------------------------------------------

    /// <summary>A deadline for a blocking call: now (non-blocking), none (no timeout set) or now + the socket's timeout.</summary>
    private static long Deadline(bool nonBlocking, long timeoutNs)
    {
        if (nonBlocking) return 0;
        if (timeoutNs == NoTimeout) return long.MaxValue;
        long now = MonotonicClock.NowNs();
        return timeoutNs > long.MaxValue - now ? long.MaxValue - 1 : now + timeoutNs;
    }

    /// <summary>
    /// Sleeps once on a queue the caller subscribed to: 0 when woken, -EAGAIN when the deadline
    /// passed, and for a signal -ERESTARTSYS without a timeout or -EINTR with one
    /// (sock_intr_errno: a socket call with SO_RCVTIMEO/SO_SNDTIMEO is never restarted).
    /// </summary>
    private static int Sleep(Task t, long deadline)
    {
        if (deadline == 0) return -Errno.EAGAIN;
        int r = t.BlockUntil(deadline);
        if (r == -Errno.ETIMEDOUT) return -Errno.EAGAIN;
        if (r == -Errno.ERESTARTSYS && deadline != long.MaxValue) return -Errno.EINTR;
        return r;
    }

    /// <summary>
    /// The relay a datagram socket hangs on a full peer's peer_wait (unix_dgram_peer_wake_*): when
    /// the peer's queue drains, this socket's own waiters (poll, epoll) hear POLLOUT, once.
    /// </summary>
    private sealed class PeerWakeRelay(UnixSocket owner) : IWaiter
    {
        private UnixSocket? _target;
        private int _armed;

        /// <summary>Called under the target's peer_wait lock: only an atomic flip, never the relay's lock.</summary>
        public bool OnNotify(uint events)
        {
            if (Interlocked.Exchange(ref _armed, 0) == 0) return false;
            owner._queue.Notify(events);
            return false;
        }

        /// <summary>Hangs the relay on other (unless it already hangs there); true when it did.</summary>
        private bool Connect(UnixSocket other)
        {
            lock (this)
            {
                if (_target is not null && !ReferenceEquals(_target, other))
                {
                    _target._peerWait.Unsubscribe(this);
                    _target = null;
                }
                if (_target is null)
                {
                    _target = other;
                    Volatile.Write(ref _armed, 1);
                    other._peerWait.Subscribe(this);
                    return true;
                }
                return Interlocked.Exchange(ref _armed, 1) == 0;
            }
        }

        public void Disconnect(UnixSocket other)
        {
            lock (this)
            {
                if (!ReferenceEquals(_target, other)) return;
                other._peerWait.Unsubscribe(this);
                _target = null;
                Volatile.Write(ref _armed, 0);
            }
        }

        /// <summary>unix_dgram_peer_wake_me: true (stay hung, not writable) while other's queue is full and other lives.</summary>
        public bool WakeMe(UnixSocket other)
        {
            bool connected = Connect(other);
            if (other.RecvQueueFull && !other.Dead) return true;
            if (connected) Disconnect(other);
            return false;
        }
    }
}
