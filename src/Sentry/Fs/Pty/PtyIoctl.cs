using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// The terminal ioctls of both sides (tty_ioctl, tty_mode_ioctl, n_tty_ioctl, pty_unix98_ioctl). As
/// on Linux the master's termios, window size, foreground group and session requests act on the
/// replica; flushes and flow control act on the side they are made on.
/// </summary>
public sealed partial class Pty
{
    internal int Ioctl(Kernel.Task task, FileDescription file, bool master, ulong request, ulong arg)
    {
        if (!master)
        {
            bool hung;
            lock (_lock) hung = _hungUp;
            // hung_up_tty_ioctl
            if (hung) return request == TtyIoctl.TIOCSPGRP ? -Errno.ENOTTY : -Errno.EIO;
        }
        switch (request)
        {
            case TtyIoctl.TCGETS:
            case TtyIoctl.TCGETS2:
            {
                Span<byte> buf = stackalloc byte[Termios.Size2];
                Termios t;
                lock (_lock) t = _ld.Termios;
                int size = request == TtyIoctl.TCGETS ? Termios.Size : Termios.Size2;
                t.WriteTo(buf, size);
                return task.CopyOut(arg, buf[..size]);
            }
            case TtyIoctl.TCSETS:
            case TtyIoctl.TCSETSW:
            case TtyIoctl.TCSETSF:
            case TtyIoctl.TCSETS2:
            case TtyIoctl.TCSETSW2:
            case TtyIoctl.TCSETSF2:
                return SetTermios(task, master, request, arg);
            case TtyIoctl.TIOCGWINSZ:
            {
                Span<ushort> ws = stackalloc ushort[4];
                lock (_lock)
                {
                    ws[0] = _rows;
                    ws[1] = _cols;
                    ws[2] = _xpixel;
                    ws[3] = _ypixel;
                }
                return task.CopyOut(arg, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ws));
            }
            case TtyIoctl.TIOCSWINSZ:
            {
                Span<ushort> ws = stackalloc ushort[4];
                int r = task.CopyIn(arg, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ws));
                if (r < 0) return r;
                bool changed;
                int fg;
                lock (_lock)
                {
                    changed = ws[0] != _rows || ws[1] != _cols || ws[2] != _xpixel || ws[3] != _ypixel;
                    (_rows, _cols, _xpixel, _ypixel) = (ws[0], ws[1], ws[2], ws[3]);
                    fg = _pgrp;
                }
                // pty_resize: SIGWINCH to the foreground group when the size really changed.
                if (changed && fg != 0) _kernel.SignalProcessGroup(fg, KernelSignal(Libc.SIGWINCH));
                return 0;
            }
            case TtyIoctl.TIOCINQ:
            {
                int n;
                lock (_lock)
                    n = master ? _ld.Output.Count : _ld.Canonical ? _ld.Input.CommittedData : _ld.Input.Count;
                return task.WriteStruct(arg, n);
            }
            case TtyIoctl.TIOCOUTQ:
                // pty_chars_in_buffer: a pty holds nothing "in the driver".
                return task.WriteStruct(arg, 0);
            case TtyIoctl.TCFLSH:
            {
                if (!master)
                {
                    int jc = CheckChange(task, Libc.SIGTTOU);
                    if (jc < 0) return jc;
                }
                int which = (int)arg;
                if (which is < TtyIoctl.TCIFLUSH or > TtyIoctl.TCIOFLUSH) return -Errno.EINVAL;
                Flush(master, input: which != TtyIoctl.TCOFLUSH, output: which != TtyIoctl.TCIFLUSH);
                return 0;
            }
            case TtyIoctl.TCXONC:
            {
                if (!master)
                {
                    int jc = CheckChange(task, Libc.SIGTTOU);
                    if (jc < 0) return jc;
                }
                return FlowControl(master, (int)arg);
            }
            case TtyIoctl.TCSBRK:
            case TtyIoctl.TCSBRKP:
            {
                // tcdrain and breaks: nothing waits in a pty's driver and it has no break_ctl.
                if (!master)
                {
                    int jc = CheckChange(task, Libc.SIGTTOU);
                    if (jc < 0) return jc;
                }
                return 0;
            }
            case TtyIoctl.TIOCSBRK:
            case TtyIoctl.TIOCCBRK:
                return 0;
            case TtyIoctl.TIOCGETD:
                return task.WriteStruct(arg, 0);
            case TtyIoctl.TIOCSETD:
            {
                int r = task.ReadStruct(arg, out int disc);
                if (r < 0) return r;
                return disc == 0 ? 0 : -Errno.EINVAL; // only N_TTY exists here
            }
            case TtyIoctl.TIOCEXCL:
            case TtyIoctl.TIOCNXCL:
                lock (_lock) _exclusive = request == TtyIoctl.TIOCEXCL;
                return 0;
            case TtyIoctl.TIOCGEXCL:
            {
                bool ex;
                lock (_lock) ex = _exclusive;
                return task.WriteStruct(arg, ex ? 1 : 0);
            }
            case TtyIoctl.TIOCPKT:
            {
                if (!master) return -Errno.ENOTTY;
                int r = task.ReadStruct(arg, out int on);
                if (r < 0) return r;
                lock (_lock)
                {
                    if (on != 0 && !_packet) _ld.PacketStatus = 0;
                    _packet = on != 0;
                }
                return 0;
            }
            case TtyIoctl.TIOCGPKT:
            {
                if (!master) return -Errno.ENOTTY;
                bool p;
                lock (_lock) p = _packet;
                return task.WriteStruct(arg, p ? 1 : 0);
            }
            case TtyIoctl.TIOCSTI:
            {
                if (!ReferenceEquals(task.ThreadGroup.Tty, this) && !Capabilities.Has(task, Capabilities.SYS_ADMIN)) return -Errno.EPERM;
                int r = task.ReadStruct(arg, out byte ch);
                if (r < 0) return r;
                return Inject(master, ch);
            }
            case TtyIoctl.TIOCSCTTY:
                // tty_jobctrl_ioctl: tiocsctty(real_tty), so on a master it is the replica that becomes the caller's terminal.
                return SetControlling(task, file, arg);
            case TtyIoctl.TIOCNOTTY:
                if (master) return -Errno.ENOTTY;
                return GiveUp(task);
            case TtyIoctl.TIOCGPGRP:
            {
                int r = GetForeground(task, master, out int pgrp);
                return r < 0 ? r : task.WriteStruct(arg, pgrp);
            }
            case TtyIoctl.TIOCSPGRP:
            {
                int r = task.ReadStruct(arg, out int pgrp);
                if (r < 0) return r;
                return SetForeground(task, pgrp);
            }
            case TtyIoctl.TIOCGSID:
            {
                int r = GetSession(task, master, out int sid);
                return r < 0 ? r : task.WriteStruct(arg, sid);
            }
            case TtyIoctl.TIOCVHANGUP:
                if (!Capabilities.Has(task, Capabilities.SYS_ADMIN)) return -Errno.EPERM;
                Hangup();
                return 0;
            case TtyIoctl.TIOCGPTN:
                return master ? task.WriteStruct(arg, (uint)Index) : -Errno.ENOTTY;
            case TtyIoctl.TIOCSPTLCK:
            {
                if (!master) return -Errno.ENOTTY;
                int r = task.ReadStruct(arg, out int lockIt);
                if (r < 0) return r;
                lock (_lock) _locked = lockIt != 0;
                return 0;
            }
            case TtyIoctl.TIOCGPTLCK:
            {
                if (!master) return -Errno.ENOTTY;
                bool l;
                lock (_lock) l = _locked;
                return task.WriteStruct(arg, l ? 1 : 0);
            }
            case TtyIoctl.TIOCGPTPEER:
                return master ? OpenPeer(task, file, (int)arg) : -Errno.EIO;
            default:
                return -Errno.ENOTTY;
        }
    }

    private int SetTermios(Kernel.Task task, bool master, ulong request, ulong arg)
    {
        if (!master)
        {
            int jc = CheckChange(task, Libc.SIGTTOU);
            if (jc < 0) return jc;
        }
        bool two = request is TtyIoctl.TCSETS2 or TtyIoctl.TCSETSW2 or TtyIoctl.TCSETSF2;
        Span<byte> buf = stackalloc byte[Termios.Size2];
        int size = two ? Termios.Size2 : Termios.Size;
        int r = task.CopyIn(arg, buf[..size]);
        if (r < 0) return r;
        bool flush = request is TtyIoctl.TCSETSF or TtyIoctl.TCSETSF2;
        lock (_lock)
        {
            var t = Termios.ReadFrom(buf[..size], in _ld.Termios);
            if (!two)
            {
                // TCSETS carries the speed in c_cflag's CBAUD; termios2's fields follow it (B38400 only is kept exact).
                uint baud = t.CFlag & Termios.CBAUD;
                if (baud == Termios.B38400) t.ISpeed = t.OSpeed = 38400;
            }
            if (flush) _ld.FlushInput();
            _ld.SetTermios(in t);
        }
        // VMIN/VTIME or ICANON changes can make input readable; a mode change can make room.
        Pump();
        ReplicaQueue.Notify(PollEvents.All);
        MasterQueue.Notify(PollEvents.All);
        return 0;
    }

    /// <summary>TCFLSH: a side's input is what it reads, its output what the other side will read (as far as Linux's flush reaches).</summary>
    private void Flush(bool master, bool input, bool output)
    {
        lock (_lock)
        {
            // The replica's input: its read buffer; the master's output: the held bytes not yet taken by it.
            if (!master && input) _ld.FlushInput();
            if (master && output) _pending.Clear();
            // The master's input: its read buffer; the replica's output: what has not reached that buffer.
            if (master && input) _ld.FlushPushed();
            if (!master && output) _ld.FlushUnpushed();
            // Packet mode reports the replica's flushes (n_tty_packet_mode_flush, pty_flush_buffer).
            if (!master && _packet) _ld.PacketStatus |= (byte)((input ? LineDiscipline.PktFlushRead : 0) | (output ? LineDiscipline.PktFlushWrite : 0));
            _ld.Push();
        }
        // Room in the read buffer lets held master bytes in (and wakes a blocked master writer).
        Pump();
        ReplicaQueue.Notify(PollEvents.All);
        MasterQueue.Notify(PollEvents.All);
    }

    /// <summary>TCXONC: suspend or restart this side's output, or send VSTOP/VSTART to the other side.</summary>
    private int FlowControl(bool master, int action)
    {
        lock (_lock)
        {
            switch (action)
            {
                case TtyIoctl.TCOOFF:
                    if (master) _masterStopped = true;
                    else
                    {
                        _ld.SetStopped(true);
                        _ld.TcoStopped = true;
                    }
                    break;
                case TtyIoctl.TCOON:
                    if (master) _masterStopped = false;
                    else
                    {
                        _ld.SetStopped(false);
                        _ld.TcoStopped = false;
                    }
                    break;
                case TtyIoctl.TCIOFF:
                case TtyIoctl.TCION:
                {
                    byte c = _ld.Termios.Char(action == TtyIoctl.TCIOFF ? Termios.VSTOP : Termios.VSTART);
                    if (c != Termios.Disabled)
                    {
                        if (master) _pending.TryPut(c);
                        else _ld.Output.TryPut(c);
                    }
                    break;
                }
                default:
                    return -Errno.EINVAL;
            }
        }
        Pump();
        ReplicaQueue.Notify(PollEvents.All);
        MasterQueue.Notify(PollEvents.All);
        return 0;
    }

    /// <summary>TIOCSTI: a byte as if received by this side (the replica's line discipline, or the master's reader).</summary>
    private int Inject(bool master, byte c)
    {
        lock (_lock)
        {
            if (master) _ld.Output.TryPut(c);
            else _pending.TryPut(c);
        }
        Pump();
        MasterQueue.Notify(PollEvents.Readable);
        return 0;
    }

    /// <summary>TIOCGPTPEER: a new descriptor of the replica, opened with flags, without a path walk.</summary>
    private int OpenPeer(Kernel.Task task, FileDescription masterFile, int flags)
    {
        var node = ReplicaNode;
        if (node is null) return -Errno.EIO;
        int r = OpenReplica(task, node, flags & ~Libc.O_CLOEXEC, viaDevTty: false, out FileDescription? file);
        if (r < 0) return r;
        file!.Location = _devpts.PathOf(masterFile.Location, node, Index);
        return (int)task.Fds.Add(file, (flags & Libc.O_CLOEXEC) != 0);
    }
}
