using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// The master side as <see cref="HostTerminalBridge"/> drives it (a host thread, not a guest task):
/// non-blocking input and output, the window size the host terminal reports, and the session the
/// container process starts in.
/// </summary>
public sealed partial class Pty
{
    /// <summary>The bridge that is this pty's master, when there is one.</summary>
    internal HostTerminalBridge? Bridge { get; set; }

    /// <summary>Bytes of the line discipline's output not yet taken by the bridge.</summary>
    internal int BridgeOutputPending
    {
        get { lock (_lock) return _ld.Output.Count; }
    }

    /// <summary>The host side's bytes into the holding buffer, as a master write; how many it took (all, once hung up: they go nowhere).</summary>
    internal int BridgeWriteInput(ReadOnlySpan<byte> src)
    {
        int n;
        lock (_lock)
        {
            if (_hungUp) return src.Length;
            n = _masterStopped ? 0 : _pending.Write(src);
        }
        if (n > 0) Pump();
        return n;
    }

    /// <summary>Output for the host side, as a master read; replicaGone once every replica is closed and nothing is left.</summary>
    internal int BridgeReadOutput(Span<byte> dst, out bool replicaGone)
    {
        int n;
        lock (_lock)
        {
            n = _ld.ReadOutput(dst);
            replicaGone = n == 0 && _otherClosed;
        }
        if (n > 0) ReplicaQueue.Notify(PollEvents.Writable);
        return n;
    }

    /// <summary>Whether a master write would be taken now (the bridge stops reading its host side otherwise).</summary>
    internal bool BridgeCanWrite
    {
        get { lock (_lock) return _hungUp || (!_masterStopped && _pending.Free > 0); }
    }

    /// <summary>TIOCGWINSZ as rows, cols, xpixel, ypixel.</summary>
    internal (ushort Rows, ushort Cols, ushort X, ushort Y) WindowSize
    {
        get { lock (_lock) return (_rows, _cols, _xpixel, _ypixel); }
    }

    /// <summary>pty_resize from the master: SIGWINCH to the foreground group when the size changed.</summary>
    internal void BridgeResize(ushort rows, ushort cols, ushort x, ushort y)
    {
        bool changed;
        int fg;
        lock (_lock)
        {
            changed = rows != _rows || cols != _cols || x != _xpixel || y != _ypixel;
            (_rows, _cols, _xpixel, _ypixel) = (rows, cols, x, y);
            fg = _pgrp;
        }
        if (changed && fg != 0) _kernel.SignalProcessGroup(fg, KernelSignal(Libc.SIGWINCH));
    }

    /// <summary>The container's process, leader of a new session, gets this terminal as runc gives it (setsid + TIOCSCTTY).</summary>
    internal void BindSession(ThreadGroup leader)
    {
        lock (_lock)
        {
            _session = leader.Sid;
            _pgrp = leader.Pgid;
        }
        leader.Tty = this;
    }

    /// <summary>
    /// What runc does to a terminal it proxies itself (run/exec with a terminal and no console
    /// socket: console.ClearONLCR on the master): output's NL is no longer turned into CR NL (the
    /// caller's terminal, raw but with OPOST, does that).
    /// </summary>
    internal void BridgeClearOnlcr()
    {
        lock (_lock)
        {
            var t = _ld.Termios;
            t.OFlag &= ~Termios.ONLCR;
            _ld.SetTermios(t);
        }
    }

    /// <summary>A bridged pty starts unlocked: nobody holds a ptmx to unlock it.</summary>
    internal void Unlock()
    {
        lock (_lock) _locked = false;
    }
}
