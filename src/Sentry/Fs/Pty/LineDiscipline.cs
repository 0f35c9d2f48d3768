using Csrunsc.Native;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// Linux's n_tty for one pty: input processing of what the master writes (ICRNL/INLCR/IGNCR/ISTRIP,
/// IXON/IXANY, ISIG, canonical editing with VERASE/VKILL/VWERASE/VLNEXT/VREPRINT/VEOF/VEOL, echo with
/// ECHO/ECHOE/ECHOK/ECHOKE/ECHONL/ECHOCTL/ECHOPRT) and output processing of what the replica writes
/// (OPOST: ONLCR/OCRNL/ONOCR/ONLRET/OLCUC/XTABS). Echo goes through output processing, as Linux's
/// process_echoes does. Not synchronised: the pty's lock guards it; signals it raises are collected
/// for the pty to send after unlocking.
/// </summary>
internal sealed class LineDiscipline
{
    /// <summary>What the replica writes (and echoes) waiting for the master's reader.</summary>
    public const int OutputCapacity = 64 * 1024;

    /// <summary>
    /// The first <see cref="Pushed"/> bytes of <see cref="Output"/> stand for what Linux has moved
    /// into the master's own 4 KiB read buffer (its flip-buffer work runs once the producing call
    /// is done); the rest for the flip buffer. Flushes from the replica side (TCOFLUSH, ISIG) reach
    /// only the flip buffer, the master's TCIFLUSH only its read buffer.
    /// </summary>
    public const int MasterReadBuffer = InputQueue.Capacity;

    public int Pushed;

    /// <summary>flush_to_ldisc: the master's read buffer takes what it has room for.</summary>
    public void Push() => Pushed = Math.Min(Output.Count, MasterReadBuffer);

    /// <summary>The master reads: from its read buffer, which then takes more.</summary>
    public int ReadOutput(Span<byte> dst)
    {
        int n = Output.Read(dst);
        Pushed = Math.Max(0, Pushed - n);
        Push();
        return n;
    }

    /// <summary>pty_flush_buffer: what has not reached the master's read buffer goes.</summary>
    public void FlushUnpushed() => Output.KeepFirst(Pushed);

    /// <summary>The master's TCIFLUSH: its read buffer goes (the flip buffer then refills it).</summary>
    public void FlushPushed()
    {
        Output.Discard(Pushed);
        Pushed = 0;
    }

    public Termios Termios = Termios.ReplicaDefault();
    public readonly InputQueue Input = new();
    public readonly ByteRing Output = new(OutputCapacity);

    /// <summary>Output stopped by VSTOP (IXON) or TCOOFF: replica writes wait.</summary>
    public bool Stopped;

    /// <summary>Stopped by TCOOFF (IXANY's any-key restart does not apply).</summary>
    public bool TcoStopped;

    private int _column, _canonColumn;
    private bool _lnext, _erasing;

    /// <summary>Signals ISIG raised (for the foreground process group), sent by the pty after unlocking.</summary>
    public int PendingSignals;

    /// <summary>Set when processing discarded input (ISIG without NOFLSH): readers and writers re-check.</summary>
    public bool Flushed;

    /// <summary>Packet-mode status for the master's reader (TIOCPKT_*): flushes, output stopped/started, flow-control changes.</summary>
    public byte PacketStatus;

    public const byte PktFlushRead = 1, PktFlushWrite = 2, PktStop = 4, PktStart = 8, PktNoStop = 0x10, PktDoStop = 0x20;

    /// <summary>stop_tty/start_tty: output stops or starts, and packet mode says so.</summary>
    public void SetStopped(bool stopped)
    {
        if (Stopped == stopped) return;
        Stopped = stopped;
        PacketStatus = (byte)((PacketStatus & ~(stopped ? PktStart : PktStop)) | (stopped ? PktStop : PktStart));
    }

    public bool Canonical => Termios.Has(Termios.ICANON);

    /// <summary>
    /// Whether a read has data: a complete line in canonical mode, else at least one byte (at least
    /// VMIN when asked for poll with VTIME 0, as input_available_p).
    /// </summary>
    public bool InputAvailable(bool forPoll)
    {
        if (Canonical) return Input.Committed > 0;
        int min = Termios.Char(Termios.VMIN);
        int amount = forPoll && Termios.Char(Termios.VTIME) == 0 && min > 0 ? min : 1;
        return Input.Committed >= amount;
    }

    /// <summary>Whether the next master byte can be taken now (room in the read buffer).</summary>
    public bool CanReceive(byte c)
    {
        int free = Input.Free;
        if (free > 1) return true;
        if (!Canonical) return false; // raw mode keeps one slot free (n_tty's receive_room)
        // A full buffer that is one unfinished line drops bytes (n_tty's overflow); only a line end gets in.
        return Input.Committed == 0 || free > 0;
    }

    /// <summary>Applies new settings (n_tty_set_termios): canonical mode switches re-mark the queue.</summary>
    public void SetTermios(in Termios t)
    {
        bool wasCanon = Canonical;
        // pty_set_termios: packet mode hears when software flow control changes.
        bool oldXon = Termios.HasI(Termios.IXON) && Termios.Char(Termios.VSTOP) == 0x13 && Termios.Char(Termios.VSTART) == 0x11;
        bool newXon = t.HasI(Termios.IXON) && t.Char(Termios.VSTOP) == 0x13 && t.Char(Termios.VSTART) == 0x11;
        bool flowChange = Termios.HasI(Termios.IXON) != t.HasI(Termios.IXON) || Termios.Char(Termios.VSTOP) != t.Char(Termios.VSTOP)
            || Termios.Char(Termios.VSTART) != t.Char(Termios.VSTART);
        if (flowChange && oldXon != newXon)
            PacketStatus = (byte)((PacketStatus & ~(PktDoStop | PktNoStop)) | (newXon ? PktDoStop : PktNoStop));
        Termios = t;
        bool canon = Canonical;
        if (wasCanon && !canon) Input.CommitAll();
        else if (!wasCanon && canon)
        {
            // n_tty_set_termios: what raw mode left queued becomes one complete line.
            Input.Uncommit();
            if (Input.Count > 0) Input.CommitAllAsLine();
            _erasing = false;
        }
        if (!canon) Input.CommitAll();
        if (!Termios.HasI(Termios.IXON) && Stopped && !TcoStopped) SetStopped(false);
    }

    /// <summary>One byte from the master (n_tty_receive_char*). The caller checked <see cref="CanReceive"/>.</summary>
    public void Receive(byte c)
    {
        ref Termios t = ref Termios;
        if (t.HasI(Termios.ISTRIP)) c &= 0x7f;
        if (t.HasI(Termios.IUCLC) && t.Has(Termios.IEXTEN) && c is >= (byte)'A' and <= (byte)'Z') c = (byte)(c + 32);
        if (_lnext)
        {
            _lnext = false;
            ReceiveLiteral(c);
            return;
        }
        if (t.HasI(Termios.IXON))
        {
            if (t.Is(c, Termios.VSTART))
            {
                if (!TcoStopped) SetStopped(false);
                return;
            }
            if (t.Is(c, Termios.VSTOP))
            {
                SetStopped(true);
                return;
            }
        }
        if (t.Has(Termios.ISIG))
        {
            int sig = t.Is(c, Termios.VINTR) ? Libc.SIGINT : t.Is(c, Termios.VQUIT) ? Libc.SIGQUIT : t.Is(c, Termios.VSUSP) ? Libc.SIGTSTP : 0;
            if (sig != 0)
            {
                ReceiveSignalChar(sig, c);
                return;
            }
        }
        if (Stopped && !TcoStopped && t.HasI(Termios.IXON) && t.HasI(Termios.IXANY)) SetStopped(false);
        if (c == '\r')
        {
            if (t.HasI(Termios.IGNCR)) return;
            if (t.HasI(Termios.ICRNL)) c = (byte)'\n';
        }
        else if (c == '\n' && t.HasI(Termios.INLCR))
        {
            c = (byte)'\r';
        }
        if (Canonical && ReceiveCanonicalSpecial(c)) return;
        ReceiveLiteral(c);
    }

    private void ReceiveSignalChar(int sig, byte c)
    {
        PendingSignals |= 1 << sig;
        if (!Termios.Has(Termios.NOFLSH))
        {
            // isig(): flush the read buffer and the output the master has not read yet.
            Input.Clear();
            FlushUnpushed();
            _erasing = false;
            Flushed = true;
            PacketStatus |= PktFlushRead | PktFlushWrite;
        }
        if (Termios.HasI(Termios.IXON) && !TcoStopped) SetStopped(false);
        if (Termios.Has(Termios.ECHO)) EchoChar(c);
    }

    /// <summary>Canonical mode's editing and line-ending characters; false for an ordinary byte.</summary>
    private bool ReceiveCanonicalSpecial(byte c)
    {
        ref Termios t = ref Termios;
        bool iexten = t.Has(Termios.IEXTEN);
        if (t.Is(c, Termios.VERASE) || t.Is(c, Termios.VKILL) || (iexten && t.Is(c, Termios.VWERASE)))
        {
            Erase(c);
            return true;
        }
        if (iexten && t.Is(c, Termios.VLNEXT))
        {
            _lnext = true;
            if (t.Has(Termios.ECHO))
            {
                FinishErasing();
                if (t.Has(Termios.ECHOCTL))
                {
                    EchoRaw((byte)'^');
                    EchoRaw((byte)'\b');
                }
            }
            return true;
        }
        if (iexten && t.Is(c, Termios.VREPRINT) && t.Has(Termios.ECHO))
        {
            FinishErasing();
            EchoChar(c);
            EchoRaw((byte)'\n');
            for (int i = 0; i < Input.EditLength; i++) EchoChar(Input.EditAt(i));
            return true;
        }
        if (c == '\n')
        {
            if (t.Has(Termios.ECHO) || t.Has(Termios.ECHONL)) EchoRaw((byte)'\n');
            EndLine(c);
            return true;
        }
        if (t.Is(c, Termios.VEOF))
        {
            if (Input.Free == 0) return true;
            Input.PutEof();
            return true;
        }
        if (t.Is(c, Termios.VEOL) || t.Is(c, Termios.VEOL2))
        {
            if (t.Has(Termios.ECHO))
            {
                if (Input.EditLength == 0) _canonColumn = _column;
                EchoChar(c);
            }
            EndLine(c);
            return true;
        }
        return false;
    }

    private void EndLine(byte c)
    {
        if (Input.Free == 0) return;
        Input.PutLineEnd(c);
    }

    private void ReceiveLiteral(byte c)
    {
        if (Termios.Has(Termios.ECHO))
        {
            FinishErasing();
            if (Input.EditLength == 0) _canonColumn = _column;
            EchoChar(c);
        }
        if (Input.Free == 0) return;
        if (Canonical && Input.Free == 1 && Input.Committed == 0) return; // the last slot is kept for the line end
        if (c == 0xff && Termios.HasI(Termios.PARMRK) && Input.Free > 1) Input.Put(c);
        Input.Put(c);
        if (!Canonical) Input.CommitAll();
    }

    private bool IsContinuation(byte c) => Termios.HasI(Termios.IUTF8) && (c & 0xc0) == 0x80;

    private static bool IsCntrl(byte c) => c < 0x20 || c == 0x7f;

    private static bool IsAlnum(byte c) => c is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z';

    /// <summary>n_tty's eraser(): VERASE one character, VWERASE a word, VKILL the line, echoing as the flags say.</summary>
    private void Erase(byte c)
    {
        ref Termios t = ref Termios;
        if (Input.EditLength == 0) return;
        int kind; // 0 erase, 1 word erase, 2 kill
        if (t.Is(c, Termios.VERASE)) kind = 0;
        else if (t.Is(c, Termios.VWERASE)) kind = 1;
        else
        {
            if (!t.Has(Termios.ECHO))
            {
                while (Input.EditLength > 0) Input.EraseLast();
                return;
            }
            if (!t.Has(Termios.ECHOK) || !t.Has(Termios.ECHOKE) || !t.Has(Termios.ECHOE))
            {
                while (Input.EditLength > 0) Input.EraseLast();
                FinishErasing();
                EchoChar(t.Char(Termios.VKILL));
                if (t.Has(Termios.ECHOK)) EchoRaw((byte)'\n');
                return;
            }
            kind = 2;
        }
        int seenAlnums = 0;
        while (Input.EditLength > 0)
        {
            int end = Input.EditLength, start = end - 1;
            byte ch = Input.EditAt(start);
            while (IsContinuation(ch) && start > 0) ch = Input.EditAt(--start);
            if (IsContinuation(ch)) break; // never erase part of a character
            if (kind == 1)
            {
                if (IsAlnum(ch) || ch == '_') seenAlnums++;
                else if (seenAlnums > 0) break;
            }
            int cnt = end - start;
            if (t.Has(Termios.ECHO))
            {
                if (t.Has(Termios.ECHOPRT))
                {
                    if (!_erasing)
                    {
                        EchoRaw((byte)'\\');
                        _erasing = true;
                    }
                    EchoChar(ch);
                    for (int i = start + 1; i < end; i++) EchoRaw(Input.EditAt(i));
                }
                else if (kind == 0 && !t.Has(Termios.ECHOE))
                {
                    EchoChar(t.Char(Termios.VERASE));
                }
                else if (ch == '\t')
                {
                    int chars = 0;
                    bool afterTab = false;
                    for (int i = start - 1; i >= 0; i--)
                    {
                        byte p = Input.EditAt(i);
                        if (p == '\t')
                        {
                            afterTab = true;
                            break;
                        }
                        if (IsCntrl(p))
                        {
                            if (t.Has(Termios.ECHOCTL)) chars += 2;
                        }
                        else if (!IsContinuation(p))
                        {
                            chars++;
                        }
                    }
                    if (!afterTab) chars += _canonColumn;
                    int backspaces = 8 - (chars & 7);
                    for (int i = 0; i < backspaces; i++) EchoRaw((byte)'\b');
                }
                else
                {
                    if (IsCntrl(ch) && t.Has(Termios.ECHOCTL)) EchoRubout();
                    if (!IsCntrl(ch) || t.Has(Termios.ECHOCTL)) EchoRubout();
                }
            }
            for (int i = 0; i < cnt; i++) Input.EraseLast();
            if (kind == 0) break;
        }
        if (Input.EditLength == 0 && t.Has(Termios.ECHO)) FinishErasing();
    }

    private void EchoRubout()
    {
        EchoRaw((byte)'\b');
        EchoRaw((byte)' ');
        EchoRaw((byte)'\b');
    }

    private void FinishErasing()
    {
        if (!_erasing) return;
        EchoRaw((byte)'/');
        _erasing = false;
    }

    /// <summary>echo_char: a control character (other than tab) as ^X with ECHOCTL.</summary>
    private void EchoChar(byte c)
    {
        if (Termios.Has(Termios.ECHOCTL) && IsCntrl(c) && c != '\t')
        {
            Emit((byte)'^');
            Emit((byte)(c ^ 0x40));
            _column += 2;
            return;
        }
        EchoRaw(c);
    }

    private void EchoRaw(byte c)
    {
        if (Termios.HasO(Termios.OPOST)) OutputChar(c, Output.Free);
        else Emit(c);
    }

    /// <summary>Echoes are dropped when the master's buffer is full (Linux overwrites its echo buffer).</summary>
    private void Emit(byte c) => Output.TryPut(c);

    /// <summary>
    /// What the replica writes: output-processes src into the master's buffer while it fits. Returns
    /// the number of src bytes consumed.
    /// </summary>
    public int Write(ReadOnlySpan<byte> src)
    {
        if (!Termios.HasO(Termios.OPOST)) return Output.Write(src);
        int i = 0;
        for (; i < src.Length; i++)
        {
            if (OutputChar(src[i], Output.Free) < 0) break;
        }
        return i;
    }

    /// <summary>do_output_char: one byte with OPOST's mappings; -1 when it does not fit in space.</summary>
    private int OutputChar(byte c, int space)
    {
        ref Termios t = ref Termios;
        if (space <= 0) return -1;
        switch (c)
        {
            case (byte)'\n':
                if (t.HasO(Termios.ONLRET)) _column = 0;
                if (t.HasO(Termios.ONLCR))
                {
                    if (space < 2) return -1;
                    _canonColumn = _column = 0;
                    Output.TryPut((byte)'\r');
                    Output.TryPut((byte)'\n');
                    return 2;
                }
                _canonColumn = _column;
                break;
            case (byte)'\r':
                if (t.HasO(Termios.ONOCR) && _column == 0) return 0;
                if (t.HasO(Termios.OCRNL))
                {
                    c = (byte)'\n';
                    if (t.HasO(Termios.ONLRET)) _canonColumn = _column = 0;
                    break;
                }
                _canonColumn = _column = 0;
                break;
            case (byte)'\t':
            {
                int spaces = 8 - (_column & 7);
                if ((t.OFlag & Termios.TABDLY) == Termios.XTABS)
                {
                    if (space < spaces) return -1;
                    _column += spaces;
                    for (int i = 0; i < spaces; i++) Output.TryPut((byte)' ');
                    return spaces;
                }
                _column += spaces;
                break;
            }
            case (byte)'\b':
                if (_column > 0) _column--;
                break;
            default:
                if (!IsCntrl(c))
                {
                    if (t.HasO(Termios.OLCUC) && c is >= (byte)'a' and <= (byte)'z') c = (byte)(c - 32);
                    if (!IsContinuation(c)) _column++;
                }
                break;
        }
        Output.TryPut(c);
        return 1;
    }

    /// <summary>TCIFLUSH on the replica: the read buffer goes.</summary>
    public void FlushInput()
    {
        Input.Clear();
        _lnext = false;
        _erasing = false;
    }
}
