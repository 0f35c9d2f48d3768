using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// The container's terminal (process.terminal, exec --tty): the caller holds a host pty's master;
/// its slave, made raw, is bridged to a Sentry <see cref="Pty"/> whose replica is the guest
/// process's stdio and controlling terminal. The bridge is that pty's master: one host thread per
/// terminal copies the host side's input into the holding buffer and the line discipline's output
/// to the host side, each direction stopping while the other end is full (backpressure both ways,
/// bytes in order); it follows the host side's window size (SIGWINCH in the guest) and, the other
/// way, a size the guest sets. The caller closing the master hangs the replica up (SIGHUP to the
/// session leader, as tty_vhangup); the guest closing its last replica closes the host side, so
/// the caller reads EOF/EIO as under runc.
/// </summary>
public sealed unsafe class HostTerminalBridge : IWaiter
{
    private const int BufferSize = 16 * 1024;

    /// <summary>How often the host side's window size is read when nothing else happens (a resize raises no event on a slave).</summary>
    private const int WindowPollMs = 50;

    private readonly Pty _pty;
    private readonly int _host;
    private readonly int _wake;
    private (ushort, ushort, ushort, ushort) _size;
    private byte[]? _savedMode;
    private Kernel.Kernel? _kernel;

    /// <summary>Held while output moves from the pty to the host side, so that <see cref="OutputDelivered"/> sees no byte in between.</summary>
    private readonly object _outLock = new();
    private int _outHeld;
    private volatile bool _ended;

    private HostTerminalBridge(Pty pty, int hostFd, int wakeFd)
    {
        _pty = pty;
        _host = hostFd;
        _wake = wakeFd;
    }

    /// <summary>
    /// Bridges the host pty slave hostFd (the bridge takes it) to a new pty of the devpts mounted at
    /// /dev/pts; the returned description is its replica, opened read-write, the controlling
    /// terminal of leader's new session; clearOnlcr: runc's own console (no console socket), whose
    /// ONLCR runc clears. Null with -errno when there is no devpts.
    /// </summary>
    public static FileDescription? Open(Kernel.Kernel kernel, int hostFd, ThreadGroup leader, bool clearOnlcr, out int error)
    {
        var mounts = leader.Container.Mounts; // a pod member's own /dev/pts
        error = 0;
        if (!mounts.TryGet("/dev/pts", out Mount pts) || DevPts.Of(pts.FileSystem) is not { } devpts)
        {
            error = -Errno.ENODEV;
            return null;
        }
        int wake = Libc.EventFd(0, Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (wake < 0)
        {
            error = -Libc.LastErrno;
            return null;
        }
        // runc opens the console before switching to the process's user: root owns it.
        int r = devpts.NewPty(kernel, 0, 0, out Pty? pty);
        if (r < 0)
        {
            Libc.Close(wake);
            error = r;
            return null;
        }
        pty!.Unlock();
        if (clearOnlcr) pty.BridgeClearOnlcr();
        // The host side's mode goes back as it was when the bridge ends: it may be the caller's own
        // terminal (a process without process.terminal started from a shell), not a pty of ours.
        byte[] saved = new byte[64];
        bool haveSaved;
        fixed (byte* t = saved) haveSaved = Libc.Ioctl(hostFd, Libc.TCGETS, t) == 0;
        Libc.MakeRaw(hostFd);
        Libc.Fcntl(hostFd, Libc.F_SETFL, Libc.Fcntl(hostFd, Libc.F_GETFL, 0) | Libc.O_NONBLOCK);
        var bridge = new HostTerminalBridge(pty, hostFd, wake) { _savedMode = haveSaved ? saved : null };
        bridge._size = bridge.HostSize();
        pty.BridgeResize(bridge._size.Item1, bridge._size.Item2, bridge._size.Item3, bridge._size.Item4);
        var node = pty.ReplicaNode!;
        r = pty.OpenReplica(null, node, Libc.O_RDWR, viaDevTty: false, out FileDescription? file);
        if (r < 0)
        {
            Libc.Close(wake);
            pty.MasterReleased();
            error = r;
            return null;
        }
        file!.Location = devpts.PathOf(null, node, pty.Index, mounts);
        pty.BindSession(leader);
        pty.Bridge = bridge;
        pty.MasterQueue.Subscribe(bridge);
        bridge._kernel = kernel;
        Interlocked.Increment(ref kernel.LiveTerminalBridges);
        new Thread(bridge.Loop, 128 * 1024) { IsBackground = true, Name = "pty-bridge-" + pty.Index }.Start();
        return file;
    }

    /// <summary>
    /// The bridge of the terminal <paramref name="file"/> is a replica of, or null: a process whose
    /// stdio is the container's terminal.
    /// </summary>
    public static HostTerminalBridge? Of(FileDescription? file) => (file as ReplicaFileDescription)?.Pty.Bridge;

    /// <summary>
    /// Whether everything the guest has written so far has reached the host side (or the bridge
    /// ended). A process's exit is reported only after its last output: under runc the process
    /// writes the caller's pty itself, so conmon or the shim, draining the master once they hear
    /// of the exit, find all of it; here the bridge copies it, and must be done first.
    /// </summary>
    public bool OutputDelivered
    {
        get
        {
            if (_ended) return true;
            lock (_outLock) return _ended || (_outHeld == 0 && _pty.BridgeOutputPending == 0);
        }
    }

    /// <summary>Waits (at most <paramref name="timeoutMs"/>: a caller that stopped reading holds the output) for <see cref="OutputDelivered"/>.</summary>
    public bool WaitForOutputDelivered(int timeoutMs)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!OutputDelivered)
        {
            if (Environment.TickCount64 >= deadline) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    /// <summary>Pty master events (output to copy, holding-buffer space, the replica's last close): wake the loop.</summary>
    public bool OnNotify(uint events)
    {
        ulong one = 1;
        Libc.Write(_wake, (byte*)&one, 8);
        return true;
    }

    private (ushort, ushort, ushort, ushort) HostSize()
    {
        ushort* ws = stackalloc ushort[4];
        if (Libc.Ioctl(_host, Libc.TIOCGWINSZ, ws) < 0) return _size;
        return (ws[0], ws[1], ws[2], ws[3]);
    }

    /// <summary>The host side's size moved: the guest's follows; the guest's moved: the host side's follows (the caller's master reads it).</summary>
    private void SyncWindowSize()
    {
        var host = HostSize();
        if (host != _size)
        {
            _size = host;
            _pty.BridgeResize(host.Item1, host.Item2, host.Item3, host.Item4);
            return;
        }
        var guest = _pty.WindowSize;
        if (guest == _size) return;
        ushort* ws = stackalloc ushort[4] { guest.Rows, guest.Cols, guest.X, guest.Y };
        if (Libc.Ioctl(_host, Libc.TIOCSWINSZ, ws) == 0) _size = guest;
    }

    private void Loop()
    {
        byte[] inBuf = new byte[BufferSize], outBuf = new byte[BufferSize];
        int inStart = 0, inEnd = 0, outStart = 0, outEnd = 0;
        bool hostGone = false, replicaGone = false;
        PollFd* fds = stackalloc PollFd[2];
        try
        {
            while (true)
            {
                bool progress = false;
                // Host → pty: what the caller typed, as master writes.
                if (inEnd == inStart && !hostGone)
                {
                    inStart = inEnd = 0;
                    fixed (byte* p = inBuf)
                    {
                        nint n = Libc.Read(_host, p, inBuf.Length);
                        if (n > 0) inEnd = (int)n;
                        else if (n == 0 || Libc.LastErrno is not (Errno.EAGAIN or Errno.EINTR)) hostGone = true; // EIO: the master is closed
                    }
                }
                if (inEnd > inStart)
                {
                    int k = _pty.BridgeWriteInput(inBuf.AsSpan(inStart, inEnd - inStart));
                    inStart += k;
                    progress |= k > 0;
                }
                // Pty → host: the line discipline's output, as master reads (the host side is non-blocking: the lock is brief).
                lock (_outLock)
                {
                    if (outEnd == outStart)
                    {
                        outStart = 0;
                        outEnd = _pty.BridgeReadOutput(outBuf, out replicaGone);
                    }
                    if (outEnd > outStart && !hostGone)
                    {
                        fixed (byte* p = outBuf)
                        {
                            nint n = Libc.Write(_host, p + outStart, outEnd - outStart);
                            if (n > 0)
                            {
                                outStart += (int)n;
                                progress = true;
                            }
                            else if (Libc.LastErrno is not (Errno.EAGAIN or Errno.EINTR)) hostGone = true;
                        }
                    }
                    _outHeld = outEnd - outStart;
                }
                if (hostGone)
                {
                    outStart = outEnd = 0;
                    return;
                }
                if (replicaGone && outEnd == outStart) return;
                SyncWindowSize();
                if (progress) continue;

                fds[0] = new PollFd
                {
                    Fd = _host,
                    Events = (short)((inEnd == inStart ? Libc.POLLIN : 0) | (outEnd > outStart ? Libc.POLLOUT : 0)),
                };
                fds[1] = new PollFd { Fd = _wake, Events = Libc.POLLIN };
                // Held input waits for holding-buffer space: the pty's notification wakes us.
                Libc.Poll(fds, 2, WindowPollMs);
                ulong drained;
                Libc.Read(_wake, (byte*)&drained, 8);
                if ((fds[0].REvents & Libc.POLLHUP) != 0 && inEnd == inStart)
                {
                    // Read once more: EIO confirms the caller closed the master.
                    continue;
                }
            }
        }
        finally
        {
            _ended = true;
            _pty.MasterQueue.Unsubscribe(this);
            if (_savedMode is { } mode)
                fixed (byte* t = mode) Libc.Ioctl(_host, Libc.TCSETS, t);
            Libc.Close(_host);
            Libc.Close(_wake);
            // The master's last close: the replica is hung up, its node goes.
            _pty.MasterReleased();
            Interlocked.Decrement(ref _kernel!.LiveTerminalBridges);
        }
    }
}
