using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// One pseudo-terminal pair made by opening /dev/ptmx: the master and replica sides' state, the line
/// discipline between them, the window size and, through <see cref="IControllingTerminal"/>, the
/// session and foreground process group of the replica as a controlling terminal. Master writes go
/// to a 64 KiB holding buffer (Linux's flip buffer) that feeds the line discipline as its 4 KiB read
/// buffer drains; replica writes are output-processed into a 64 KiB buffer the master reads.
/// One lock guards it all; wake-ups and signals happen after it is released.
/// </summary>
public sealed partial class Pty
{
    /// <summary>Master writes the line discipline has not taken yet.</summary>
    private const int PendingCapacity = 64 * 1024;

    private readonly object _lock = new();
    private readonly LineDiscipline _ld = new();
    private readonly ByteRing _pending = new(PendingCapacity);
    private readonly DevPts _devpts;
    private readonly Kernel.Kernel _kernel;

    private bool _locked = true;
    private bool _masterClosed;
    private bool _hungUp;
    private bool _otherClosed;
    private bool _masterStopped;
    private bool _exclusive;
    private bool _packet;
    private int _replicaOpens;
    private ushort _rows, _cols, _xpixel, _ypixel;

    internal Pty(DevPts devpts, int index, Kernel.Kernel kernel)
    {
        _devpts = devpts;
        Index = index;
        _kernel = kernel;
    }

    public int Index { get; }

    /// <summary>/dev/pts/N (removed when the master closes).</summary>
    internal PtyReplicaNode? ReplicaNode { get; set; }

    /// <summary>Master-side readers and writers wait here: replica output, holding-buffer space, the replica's last close.</summary>
    public WaitQueue MasterQueue { get; } = new();

    /// <summary>Replica-side readers and writers wait here: input lines, output space, hang-up.</summary>
    public WaitQueue ReplicaQueue { get; } = new();

    /// <summary>Whether the master has hung the replica up (its descriptions read EOF, write EIO).</summary>
    public bool HungUp
    {
        get { lock (_lock) return _hungUp; }
    }

    // ---- opening and closing ----

    /// <summary>open(2) of the replica (a devpts node, /dev/tty, or TIOCGPTPEER): EIO while locked or after the master closed.</summary>
    internal int OpenReplica(Kernel.Task? task, Inode node, int flags, bool viaDevTty, out FileDescription? file)
    {
        file = null;
        lock (_lock)
        {
            if (_masterClosed || _hungUp || (_locked && !viaDevTty)) return -Errno.EIO;
            if (_exclusive && !viaDevTty && (task is null || !Capabilities.Has(task, Capabilities.SYS_ADMIN))) return -Errno.EBUSY;
            _replicaOpens++;
            _otherClosed = false;
        }
        file = new ReplicaFileDescription(this, node, flags);
        // tty_open_proc_set_tty: a session leader without a terminal acquires this one unless O_NOCTTY.
        if (task is not null && !viaDevTty && (flags & Libc.O_NOCTTY) == 0) AcquireOnOpen(task);
        MasterQueue.Notify();
        return 0;
    }

    internal void ReplicaReleased()
    {
        bool free;
        lock (_lock)
        {
            _replicaOpens--;
            if (_replicaOpens == 0 && !_masterClosed) _otherClosed = true;
            free = _replicaOpens == 0 && _masterClosed;
        }
        if (free) _devpts.Free(this);
        MasterQueue.Notify(PollEvents.All);
    }

    /// <summary>The master's last close: the replica is hung up, its node goes, the index is free once the replica is closed too.</summary>
    internal void MasterReleased()
    {
        bool free;
        lock (_lock)
        {
            _masterClosed = true;
            free = _replicaOpens == 0;
        }
        _devpts.RemoveNode(this);
        Hangup();
        if (free) _devpts.Free(this);
    }

    // ---- master side ----

    internal long MasterRead(Kernel.Task task, Span<byte> dst, bool nonBlocking)
    {
        if (dst.Length == 0) return 0;
        bool subscribed = false;
        try
        {
            while (true)
            {
                int n;
                bool pump;
                lock (_lock)
                {
                    if (_packet && _ld.PacketStatus != 0)
                    {
                        // Packet mode: a status change is a one-byte packet of its own.
                        dst[0] = _ld.PacketStatus;
                        _ld.PacketStatus = 0;
                        return 1;
                    }
                    if (_packet && _ld.Output.Count > 0)
                    {
                        dst[0] = 0; // TIOCPKT_DATA
                        n = 1 + _ld.ReadOutput(dst[1..]);
                    }
                    else
                    {
                        n = _ld.ReadOutput(dst);
                    }
                    if (n == 0 && _otherClosed) return -Errno.EIO;
                    pump = n > 0;
                }
                if (pump)
                {
                    ReplicaQueue.Notify(PollEvents.Writable);
                    return n;
                }
                if (nonBlocking) return -Errno.EAGAIN;
                if (!subscribed)
                {
                    MasterQueue.Subscribe(task);
                    subscribed = true;
                    continue;
                }
                int r = task.Block();
                if (r < 0) return r;
            }
        }
        finally
        {
            if (subscribed) MasterQueue.Unsubscribe(task);
        }
    }

    internal long MasterWrite(Kernel.Task task, ReadOnlySpan<byte> src, bool nonBlocking)
    {
        if (src.Length == 0) return 0;
        long written = 0;
        bool subscribed = false;
        try
        {
            while (true)
            {
                int n = 0;
                lock (_lock)
                {
                    if (!_masterStopped) n = _pending.Write(src[(int)written..]);
                }
                if (n > 0)
                {
                    written += n;
                    Pump();
                    if (written == src.Length) return written;
                    continue;
                }
                if (nonBlocking) return written > 0 ? written : -Errno.EAGAIN;
                if (!subscribed)
                {
                    MasterQueue.Subscribe(task);
                    subscribed = true;
                    continue;
                }
                int r = task.Block();
                if (r < 0) return written > 0 ? written : r;
            }
        }
        finally
        {
            if (subscribed) MasterQueue.Unsubscribe(task);
        }
    }

    internal short MasterReadiness(short mask)
    {
        int ev = 0;
        lock (_lock)
        {
            if (_ld.Output.Count > 0) ev |= Libc.POLLIN | (int)PollEvents.RdNorm;
            if (_packet && _ld.PacketStatus != 0) ev |= Libc.POLLIN | Libc.POLLPRI | (int)PollEvents.RdNorm;
            if (_otherClosed) ev |= Libc.POLLHUP;
            if (_pending.Free > 0 && !_masterStopped) ev |= Libc.POLLOUT | (int)PollEvents.WrNorm;
        }
        return (short)(ev & (mask | Libc.POLLHUP | Libc.POLLERR));
    }

    /// <summary>
    /// Feeds held master bytes to the line discipline while it has room, then wakes whoever the
    /// change concerns and sends the signals ISIG raised to the foreground process group.
    /// </summary>
    private void Pump()
    {
        int signals;
        bool input, output, space;
        lock (_lock)
        {
            int outBefore = _ld.Output.Count, pendingBefore = _pending.Count, statusBefore = _ld.PacketStatus;
            bool availBefore = _ld.InputAvailable(false);
            while (_pending.Count > 0 && !_hungUp && _ld.CanReceive(_pending.Peek())) _ld.Receive(_pending.Take());
            if (_hungUp) _pending.Clear();
            _ld.Push();
            signals = _ld.PendingSignals;
            _ld.PendingSignals = 0;
            input = _ld.InputAvailable(false) != availBefore || _ld.Flushed || _ld.InputAvailable(false);
            output = _ld.Output.Count != outBefore || (_packet && _ld.PacketStatus != statusBefore);
            space = _pending.Count != pendingBefore;
            _ld.Flushed = false;
        }
        if (input) ReplicaQueue.Notify(PollEvents.Readable | PollEvents.Writable);
        if (output || space) MasterQueue.Notify((output ? PollEvents.Readable : 0) | (space ? PollEvents.Writable : 0));
        if (signals != 0) SignalForeground(signals);
    }

    // ---- replica side ----

    /// <summary>
    /// read(2) of the replica: one line in canonical mode (an EOF alone reads as 0); in raw mode as
    /// n_tty_read does with VMIN/VTIME: MIN&gt;0 waits for MIN bytes, with TIME&gt;0 only TIME tenths
    /// between bytes once one came; MIN=0 returns what is there, waiting at most TIME tenths for it.
    /// </summary>
    internal long ReplicaRead(Kernel.Task task, Span<byte> dst, bool nonBlocking)
    {
        int jc = CheckChange(task, Libc.SIGTTIN);
        if (jc < 0) return jc;
        if (dst.Length == 0) return 0;
        bool subscribed = false;
        long deadline = long.MaxValue;
        bool timedOut = false, timerSet = false;
        int copied = 0;
        try
        {
            while (true)
            {
                int n = -1, minimum, timeTenths;
                bool canonical;
                lock (_lock)
                {
                    if (_hungUp) return copied;
                    canonical = _ld.Canonical;
                    minimum = _ld.Termios.Char(Termios.VMIN);
                    timeTenths = _ld.Termios.Char(Termios.VTIME);
                    if (_ld.Input.Committed > 0)
                    {
                        if (canonical) n = _ld.Input.ReadLine(dst);
                        else copied += n = _ld.Input.ReadRaw(dst[copied..]);
                    }
                }
                if (n >= 0)
                {
                    Pump();
                    MasterQueue.Notify(PollEvents.Writable);
                    if (canonical) return n;
                    if (copied >= Math.Max(minimum, 1) || copied == dst.Length) return copied;
                    if (timeTenths > 0)
                    {
                        deadline = MonotonicClock.NowNs() + timeTenths * 100_000_000L;
                        timedOut = false;
                    }
                    continue;
                }
                if (!canonical)
                {
                    if (minimum == 0 && !timerSet)
                    {
                        if (timeTenths == 0) return copied;
                        deadline = MonotonicClock.NowNs() + timeTenths * 100_000_000L;
                        timerSet = true;
                    }
                    if (timedOut) return copied;
                }
                if (nonBlocking) return copied > 0 ? copied : -Errno.EAGAIN;
                if (!subscribed)
                {
                    ReplicaQueue.Subscribe(task);
                    subscribed = true;
                    continue;
                }
                int r = task.BlockUntil(deadline);
                if (r == -Errno.ETIMEDOUT)
                {
                    timedOut = true;
                    continue;
                }
                if (r < 0) return copied > 0 ? copied : r;
            }
        }
        finally
        {
            if (subscribed) ReplicaQueue.Unsubscribe(task);
        }
    }

    internal long ReplicaWrite(Kernel.Task task, ReadOnlySpan<byte> src, bool nonBlocking)
    {
        bool tostop;
        lock (_lock) tostop = _ld.Termios.Has(Termios.TOSTOP);
        if (tostop)
        {
            int jc = CheckChange(task, Libc.SIGTTOU);
            if (jc < 0) return jc;
        }
        lock (_lock)
        {
            if (_hungUp) return -Errno.EIO;
        }
        if (src.Length == 0) return 0;
        long written = 0;
        bool subscribed = false;
        try
        {
            while (true)
            {
                int n = 0;
                lock (_lock)
                {
                    if (_hungUp) return written > 0 ? written : -Errno.EIO;
                    if (!_ld.Stopped)
                    {
                        n = _ld.Write(src[(int)written..]);
                        _ld.Push();
                    }
                }
                if (n > 0)
                {
                    written += n;
                    MasterQueue.Notify(PollEvents.Readable);
                    if (written == src.Length) return written;
                    continue;
                }
                if (nonBlocking) return written > 0 ? written : -Errno.EAGAIN;
                if (!subscribed)
                {
                    ReplicaQueue.Subscribe(task);
                    subscribed = true;
                    continue;
                }
                int r = task.Block();
                if (r < 0) return written > 0 ? written : r;
            }
        }
        finally
        {
            if (subscribed) ReplicaQueue.Unsubscribe(task);
        }
    }

    internal short ReplicaReadiness(short mask)
    {
        int ev = 0;
        lock (_lock)
        {
            if (_hungUp)
            {
                ev = Libc.POLLIN | Libc.POLLOUT | Libc.POLLERR | Libc.POLLHUP | (int)(PollEvents.RdNorm | PollEvents.WrNorm);
            }
            else
            {
                if (_ld.InputAvailable(forPoll: true)) ev |= Libc.POLLIN | (int)PollEvents.RdNorm;
                if (!_ld.Stopped && _ld.Output.Free > 0) ev |= Libc.POLLOUT | (int)PollEvents.WrNorm;
            }
        }
        return (short)(ev & (mask | Libc.POLLHUP | Libc.POLLERR));
    }

    /// <summary>
    /// tty_vhangup of the replica: its descriptions read EOF and write EIO from now on; the session
    /// leader gets SIGHUP and SIGCONT and every process of the session loses it as controlling terminal.
    /// </summary>
    internal void Hangup()
    {
        int session;
        lock (_lock)
        {
            if (_hungUp) return;
            _hungUp = true;
            _pending.Clear();
            _ld.FlushInput();
            session = _session;
            _session = 0;
            _pgrp = 0;
        }
        if (session != 0)
        {
            foreach (var g in _kernel.Pids.Groups())
            {
                if (g.Sid != session || g.Zombie) continue;
                if (ReferenceEquals(g.Tty, this)) g.Tty = null;
                if (!g.IsSessionLeader) continue;
                _kernel.SendGroupSignal(g, KernelSignal(Libc.SIGHUP), fromHost: false);
                _kernel.SendGroupSignal(g, KernelSignal(Libc.SIGCONT), fromHost: false);
            }
        }
        ReplicaQueue.Notify(PollEvents.All);
        MasterQueue.Notify(PollEvents.All);
    }

    /// <summary>A signal the terminal raises (SEND_SIG_PRIV: si_code SI_KERNEL).</summary>
    private static SigInfo KernelSignal(int sig) => new() { Signo = sig, Code = 0x80 };
}
