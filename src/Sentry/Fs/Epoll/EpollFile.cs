using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Epoll;

/// <summary>
/// An epoll instance, built as Linux builds it: each registration (keyed by file description and
/// descriptor number) subscribes to its file's readiness queue; a notification that matches its
/// events puts it on the ready list; epoll_wait takes the ready list, asks each file for its
/// readiness now and reports the ready ones. Level-triggered registrations go back on the list
/// after being reported, edge-triggered ones wait for the next notification, one-shot ones are
/// disarmed until EPOLL_CTL_MOD. A registration lives until its file description is released
/// (not when one descriptor of it is closed), or until EPOLL_CTL_DEL.
/// Locks: the interest lock guards the registration table; the ready lock only the ready list and
/// is never held while a file is asked for readiness or a queue is notified... except this
/// instance's own queue, which only wakes waiters.
///
/// Files backed by a host fd (host sockets, the caller's pipes) are watched in a host epoll of
/// this instance instead: the host keeps their edge/level/one-shot/exclusive semantics, a harvest
/// takes their events with one epoll_wait, and a task blocked in epoll_wait waits in the host on
/// that epoll fd itself — no poller hop, no per-file readiness call. Sentry files (pipes,
/// eventfds, Sentry sockets) keep the ready list; a dup of a host file already watched (the host
/// epoll refuses the same file twice) falls back to it too.
/// </summary>
internal sealed unsafe class EpollFile : FileDescription, IReleaseWatcher
{
    public const uint EPOLLIN = 0x1, EPOLLPRI = 0x2, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10,
        EPOLLRDNORM = 0x40, EPOLLRDBAND = 0x80, EPOLLWRNORM = 0x100, EPOLLWRBAND = 0x200, EPOLLMSG = 0x400,
        EPOLLRDHUP = 0x2000, EPOLLEXCLUSIVE = 1u << 28, EPOLLWAKEUP = 1u << 29, EPOLLONESHOT = 1u << 30, EPOLLET = 1u << 31;

    /// <summary>Flags that steer the registration rather than name events.</summary>
    private const uint ControlBits = EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET;

    /// <summary>The only bits EPOLLEXCLUSIVE may be combined with (Linux's EPOLLEXCLUSIVE_OK_BITS).</summary>
    private const uint ExclusiveOkBits = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

    /// <summary>Linux's EP_MAX_NESTS: how deep epoll instances may watch each other.</summary>
    private const int MaxNesting = 4;

    public const int EventSize = 12;

    internal enum ReadyState : byte { Idle, Listed, Scanning }

    /// <summary>One registration (Linux's epitem).</summary>
    internal sealed class Interest(EpollFile owner, int fd, FileDescription file, uint events, ulong data) : IWaiter
    {
        public readonly EpollFile Owner = owner;
        public readonly int Fd = fd;
        public readonly FileDescription File = file;
        public uint Events = events;
        public ulong Data = data;

        // Ready-list links and state, guarded by the owner's ready lock.
        internal Interest? Prev, Next;
        internal ReadyState State;
        /// <summary>A notification came while the item was being scanned: list it again afterwards.</summary>
        internal bool Renotified;
        /// <summary>Deleted (or its file released): never listed again.</summary>
        internal bool Removed;

        /// <summary>The slot of a registration watched in the host epoll (its epoll_event data); -1 on the ready-list path.</summary>
        internal int HostSlot = -1;
        internal int HostFd = -1;

        public bool OnNotify(uint events) => Owner.Notified(this);

        /// <summary>The events the file is asked for (with the always-reported error and hang-up).</summary>
        public uint Wanted => (Events & ~ControlBits) | EPOLLERR | EPOLLHUP;

        /// <summary>
        /// EPOLLONESHOT fired and no EPOLL_CTL_MOD re-armed it. (A registration with no events is
        /// not disarmed: epoll_ctl adds EPOLLERR|EPOLLHUP, which are always reported.)
        /// </summary>
        public bool Disarmed;
    }

    private readonly object _interestLock = new();
    private readonly Dictionary<(FileDescription File, int Fd), Interest> _interests = new();
    private readonly object _readyLock = new();
    private Interest? _readyHead, _readyTail;
    private readonly WaitQueue _queue = new();

    private int _hostEpfd = -1;
    private Interest?[] _hostSlots = [];
    private int _hostCount;
    private bool _queueWatched;
    private int _queuePollHandle = -1;

    public EpollFile(int flags)
        : base(null, Libc.O_RDWR | (flags & Libc.O_CLOEXEC))
    {
    }

    public override bool Seekable => false;

    public override long Size => 0;

    /// <summary>The host epoll fd watching the host-backed registrations, or -1 when there are none.</summary>
    public int HostEpollFd => Volatile.Read(ref _hostCount) > 0 ? _hostEpfd : -1;

    /// <summary>
    /// The queue poll, select, a watching epoll or a blocked epoll_wait sleep on. Once anyone asks
    /// for it, the host epoll (if any) is watched by the poller too, so host events reach it.
    /// </summary>
    public override WaitQueue? ReadinessQueue
    {
        get
        {
            lock (_interestLock)
            {
                _queueWatched = true;
                if (_hostEpfd >= 0 && _queuePollHandle < 0) _queuePollHandle = Fs.Host.HostPoller.Instance.Register(_hostEpfd, _queue);
            }
            return _queue;
        }
    }

    /// <summary>Registers it in the host epoll (creating it first); false when the host refuses (the ready-list path then serves it).</summary>
    private bool AddHost(Interest it, int hostFd)
    {
        if (_hostEpfd < 0)
        {
            _hostEpfd = Libc.EpollCreate1(Libc.O_CLOEXEC);
            if (_hostEpfd < 0) return false;
            if (_queueWatched) _queuePollHandle = Fs.Host.HostPoller.Instance.Register(_hostEpfd, _queue);
        }
        int slot = -1;
        for (int i = 0; i < _hostSlots.Length; i++)
        {
            if (_hostSlots[i] is null)
            {
                slot = i;
                break;
            }
        }
        if (slot < 0)
        {
            slot = _hostSlots.Length;
            Array.Resize(ref _hostSlots, Math.Max(8, _hostSlots.Length * 2));
        }
        var ev = new EpollEvent { Events = HostEvents(it.Events), Data = (ulong)slot };
        if (Libc.EpollCtl(_hostEpfd, Libc.EPOLL_CTL_ADD, hostFd, &ev) < 0) return false;
        _hostSlots[slot] = it;
        it.HostSlot = slot;
        it.HostFd = hostFd;
        _hostCount++;
        return true;
    }

    private void RemoveHost(Interest it)
    {
        if (it.HostSlot < 0) return;
        Libc.EpollCtl(_hostEpfd, Libc.EPOLL_CTL_DEL, it.HostFd, null);
        _hostSlots[it.HostSlot] = null;
        it.HostSlot = -1;
        _hostCount--;
    }

    /// <summary>The guest's events for the host epoll (EPOLLWAKEUP needs a capability there and means nothing here).</summary>
    private static uint HostEvents(uint events) => events & ~EPOLLWAKEUP;

    /// <summary>epoll_ctl's validation of the event flags for ADD and MOD.</summary>
    public static int CheckEvents(int op, uint events, FileDescription target)
    {
        if ((events & EPOLLEXCLUSIVE) == 0) return 0;
        if (op == 3 /*MOD*/) return -Errno.EINVAL;
        if ((events & ~ExclusiveOkBits) != 0 || target is EpollFile) return -Errno.EINVAL;
        return 0;
    }

    public int Add(int fd, FileDescription file, uint events, ulong data)
    {
        Interest it;
        lock (_interestLock)
        {
            if (_interests.ContainsKey((file, fd))) return -Errno.EEXIST;
            if (file is EpollFile inner && (inner.Reaches(this) || inner.Depth() >= MaxNesting)) return -Errno.ELOOP;
            it = new Interest(this, fd, file, events, data);
            if (!file.AddReleaseWatcher(this)) return -Errno.EBADF;
            _interests.Add((file, fd), it);
            int hostFd = file.HostPollFd;
            if (hostFd >= 0 && AddHost(it, hostFd)) return 0; // the host reports it (ready now: at once)
            file.ReadinessQueue?.Subscribe(it, it.Wanted, (events & EPOLLEXCLUSIVE) != 0);
        }
        // As Linux's ep_insert: a file that is ready already is listed now.
        if (Ready(it) != 0) Notified(it);
        return 0;
    }

    public int Modify(int fd, FileDescription file, uint events, ulong data)
    {
        Interest? it;
        lock (_interestLock)
        {
            if (!_interests.TryGetValue((file, fd), out it)) return -Errno.ENOENT;
            if ((it.Events & EPOLLEXCLUSIVE) != 0) return -Errno.EINVAL;
            it.Disarmed = false;
            if (it.HostSlot >= 0)
            {
                it.Events = events;
                it.Data = data;
                var ev = new EpollEvent { Events = HostEvents(events), Data = (ulong)it.HostSlot };
                return Libc.EpollCtl(_hostEpfd, Libc.EPOLL_CTL_MOD, it.HostFd, &ev) < 0 ? -Libc.LastErrno : 0;
            }
            var queue = file.ReadinessQueue;
            queue?.Unsubscribe(it);
            it.Events = events;
            it.Data = data;
            queue?.Subscribe(it, it.Wanted);
        }
        if (Ready(it) != 0) Notified(it);
        return 0;
    }

    public int Remove(int fd, FileDescription file)
    {
        Interest? it;
        lock (_interestLock)
        {
            if (!_interests.Remove((file, fd), out it)) return -Errno.ENOENT;
            if (it.HostSlot >= 0) RemoveHost(it);
            else file.ReadinessQueue?.Unsubscribe(it);
        }
        bool others;
        lock (_interestLock) others = HasOtherRegistration(file);
        if (!others) file.RemoveReleaseWatcher(this);
        Unlist(it);
        return 0;
    }

    /// <summary>The watched file was released: every registration of it ends.</summary>
    void IReleaseWatcher.Released(FileDescription file)
    {
        var gone = new List<Interest>();
        lock (_interestLock)
        {
            foreach (var (key, it) in _interests)
            {
                if (ReferenceEquals(key.File, file)) gone.Add(it);
            }
            foreach (var it in gone)
            {
                _interests.Remove((file, it.Fd));
                if (it.HostSlot >= 0) RemoveHost(it);
                else file.ReadinessQueue?.Unsubscribe(it);
            }
        }
        foreach (var it in gone) Unlist(it);
    }

    protected override void OnRelease()
    {
        List<Interest> all;
        lock (_interestLock)
        {
            all = new List<Interest>(_interests.Values);
            _interests.Clear();
            foreach (var it in all)
            {
                if (it.HostSlot < 0) it.File.ReadinessQueue?.Unsubscribe(it);
            }
            if (_hostEpfd >= 0)
            {
                Fs.Host.HostPoller.Instance.Unregister(_queuePollHandle, _hostEpfd);
                Libc.Close(_hostEpfd);
                _hostEpfd = -1;
                _hostCount = 0;
            }
        }
        foreach (var it in all) it.File.RemoveReleaseWatcher(this);
        lock (_readyLock) _readyHead = _readyTail = null;
    }

    private bool HasOtherRegistration(FileDescription file)
    {
        foreach (var key in _interests.Keys)
        {
            if (ReferenceEquals(key.File, file)) return true;
        }
        return false;
    }

    /// <summary>Whether this instance watches target, directly or through nested instances.</summary>
    private bool Reaches(EpollFile target)
    {
        if (ReferenceEquals(this, target)) return true;
        foreach (var inner in NestedInstances())
        {
            if (inner.Reaches(target)) return true;
        }
        return false;
    }

    private int Depth()
    {
        int max = 0;
        foreach (var inner in NestedInstances()) max = Math.Max(max, inner.Depth() + 1);
        return max;
    }

    private List<EpollFile> NestedInstances()
    {
        var list = new List<EpollFile>();
        lock (_interestLock)
        {
            foreach (var key in _interests.Keys)
            {
                if (key.File is EpollFile e) list.Add(e);
            }
        }
        return list;
    }

    /// <summary>The file's readiness now, within what the registration asks for.</summary>
    private static uint Ready(Interest it)
    {
        if (it.Disarmed) return 0;
        uint wanted = it.Wanted;
        uint query = wanted & 0xFFFF;
        if ((wanted & EPOLLRDNORM) != 0) query |= EPOLLIN;
        if ((wanted & EPOLLWRNORM) != 0) query |= EPOLLOUT;
        uint ready = (ushort)it.File.Readiness((short)query);
        if ((ready & EPOLLIN) != 0) ready |= EPOLLRDNORM;
        if ((ready & EPOLLOUT) != 0) ready |= EPOLLWRNORM;
        return ready & wanted;
    }

    /// <summary>A notification from the file's queue (or a ready file at ADD/MOD): list the registration.</summary>
    private bool Notified(Interest it)
    {
        lock (_readyLock)
        {
            if (it.Disarmed || it.Removed) return false;
            switch (it.State)
            {
                case ReadyState.Idle:
                    Append(it);
                    break;
                case ReadyState.Scanning:
                    it.Renotified = true;
                    return true;
                default:
                    return true;
            }
        }
        _queue.Notify(PollEvents.In | PollEvents.RdNorm);
        return true;
    }

    private void Append(Interest it)
    {
        it.State = ReadyState.Listed;
        it.Prev = _readyTail;
        it.Next = null;
        if (_readyTail is null) _readyHead = it;
        else _readyTail.Next = it;
        _readyTail = it;
    }

    private void Unlink(Interest it)
    {
        if (it.Prev is null) _readyHead = it.Next;
        else it.Prev.Next = it.Next;
        if (it.Next is null) _readyTail = it.Prev;
        else it.Next.Prev = it.Prev;
        it.Prev = it.Next = null;
    }

    private void Unlist(Interest it)
    {
        lock (_readyLock)
        {
            if (it.State == ReadyState.Listed) Unlink(it);
            it.State = ReadyState.Idle;
            it.Renotified = false;
            it.Removed = true;
        }
    }

    /// <summary>
    /// Takes the ready list and writes up to max ready events (struct epoll_event, packed) into
    /// output, or only counts them when output is empty (poll of the epoll fd itself). Returns how
    /// many. Level-triggered items reported go back on the list; items not reached stay on it.
    /// </summary>
    public int Harvest(Span<byte> output, int max)
    {
        bool report = !output.IsEmpty;
        Interest? scan;
        lock (_readyLock)
        {
            scan = _readyHead;
            _readyHead = _readyTail = null;
            for (var i = scan; i is not null; i = i.Next) i.State = ReadyState.Scanning;
        }
        int n = 0;
        var it = scan;
        while (it is not null)
        {
            var next = it.Next;
            uint ready = n < max ? Ready(it) : 0;
            bool keep;
            if (n >= max)
            {
                keep = true; // not reached this time
            }
            else if (ready == 0)
            {
                keep = false;
            }
            else
            {
                if (report)
                {
                    var e = output.Slice(n * EventSize, EventSize);
                    BinaryPrimitives.WriteUInt32LittleEndian(e, ready);
                    BinaryPrimitives.WriteUInt64LittleEndian(e[4..], it.Data);
                }
                n++;
                if (!report) keep = true;
                else if ((it.Events & EPOLLONESHOT) != 0)
                {
                    lock (_readyLock)
                    {
                        it.Events &= ControlBits;
                        it.Disarmed = true;
                    }
                    keep = false;
                }
                else keep = (it.Events & EPOLLET) == 0;
            }
            lock (_readyLock)
            {
                it.Prev = it.Next = null;
                bool again = !it.Removed && (keep || (it.Renotified && !it.Disarmed));
                it.Renotified = false;
                it.State = ReadyState.Idle;
                if (again) Append(it);
            }
            it = next;
        }
        if (n < max && Volatile.Read(ref _hostCount) > 0) n += HarvestHost(output, n, max, report);
        return n;
    }

    /// <summary>The host epoll's ready registrations (reported: taken with epoll_wait; counting only: a poll, which consumes no edge).</summary>
    private int HarvestHost(Span<byte> output, int n, int max, bool report)
    {
        int epfd = _hostEpfd;
        if (epfd < 0) return 0;
        if (!report)
        {
            var pfd = new PollFd { Fd = epfd, Events = Libc.POLLIN };
            return Libc.Poll(&pfd, 1, 0) > 0 ? 1 : 0;
        }
        const int Batch = 64;
        EpollEvent* events = stackalloc EpollEvent[Batch];
        int got = 0;
        while (n + got < max)
        {
            int want = Math.Min(Batch, max - n - got);
            int r = Libc.EpollWait(epfd, events, want, 0);
            if (r <= 0) break;
            lock (_interestLock)
            {
                for (int i = 0; i < r; i++)
                {
                    int slot = (int)events[i].Data;
                    var it = slot < _hostSlots.Length ? _hostSlots[slot] : null;
                    if (it is null) continue;
                    var e = output.Slice((n + got) * EventSize, EventSize);
                    BinaryPrimitives.WriteUInt32LittleEndian(e, events[i].Events);
                    BinaryPrimitives.WriteUInt64LittleEndian(e[4..], it.Data);
                    got++;
                }
            }
            if (r < want) break;
        }
        return got;
    }

    /// <summary>POLLIN when a registration is ready (poll, select or another epoll watching this one).</summary>
    public override short Readiness(short mask) =>
        (mask & Libc.POLLIN) != 0 && Harvest(Span<byte>.Empty, 1) > 0 ? Libc.POLLIN : (short)0;
}
