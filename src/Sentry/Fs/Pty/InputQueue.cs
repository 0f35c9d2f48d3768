namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// The line discipline's read buffer (n_tty's read_buf, 4096 entries): bytes the replica's reader
/// will get, each tagged when it ends a canonical line (newline, EOL, EOL2, or an EOF marker that is
/// never copied out). Bytes before <see cref="Committed"/> belong to complete lines; the rest is the
/// line being edited. Not synchronised: the pty's lock guards it.
/// </summary>
internal sealed class InputQueue
{
    public const int Capacity = 4096;
    private const ushort LineEnd = 0x100, EofMarker = 0x200;

    private readonly ushort[] _buf = new ushort[Capacity];
    private int _tail, _count, _committed;

    /// <summary>Every byte queued (complete lines and the line being edited).</summary>
    public int Count => _count;

    /// <summary>Bytes of complete lines (canonical mode's readable data, EOF markers included).</summary>
    public int Committed => _committed;

    public int Free => Capacity - _count;

    /// <summary>Bytes a canonical read can return (EOF markers are not data), for TIOCINQ.</summary>
    public int CommittedData
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _committed; i++)
                if ((At(i) & EofMarker) == 0) n++;
            return n;
        }
    }

    private ushort At(int i) => _buf[(_tail + i) % Capacity];

    public void Put(byte b) => _buf[(_tail + _count++) % Capacity] = b;

    /// <summary>Ends the current line with b (a newline/EOL char) and makes it readable.</summary>
    public void PutLineEnd(byte b)
    {
        _buf[(_tail + _count++) % Capacity] = (ushort)(b | LineEnd);
        _committed = _count;
    }

    /// <summary>Ends the current line with an EOF (VEOF): a marker a read consumes but does not return.</summary>
    public void PutEof()
    {
        _buf[(_tail + _count++) % Capacity] = LineEnd | EofMarker;
        _committed = _count;
    }

    /// <summary>Marks the last byte queued as a line end and makes everything readable.</summary>
    public void CommitAllAsLine()
    {
        if (_count == 0) return;
        _buf[(_tail + _count - 1) % Capacity] |= LineEnd;
        _committed = _count;
    }

    /// <summary>Raw mode: everything queued is readable.</summary>
    public void CommitAll() => _committed = _count;

    /// <summary>Canonical mode starts: what is queued becomes the line being edited.</summary>
    public void Uncommit()
    {
        _committed = 0;
        for (int i = 0; i < _count; i++) _buf[(_tail + i) % Capacity] &= 0xFF;
    }

    /// <summary>Length of the line being edited.</summary>
    public int EditLength => _count - _committed;

    /// <summary>The i-th byte of the line being edited.</summary>
    public byte EditAt(int i) => (byte)At(_committed + i);

    /// <summary>Drops the last byte of the line being edited.</summary>
    public void EraseLast()
    {
        if (_count > _committed) _count--;
    }

    public void Clear()
    {
        _tail = 0;
        _count = 0;
        _committed = 0;
    }

    /// <summary>
    /// A canonical read: bytes of the first complete line (up to its terminator, which is copied unless
    /// it is an EOF marker), at most dst.Length. Returns the count; eof is set when an EOF marker ended it.
    /// </summary>
    public int ReadLine(Span<byte> dst)
    {
        int n = 0;
        while (_committed > 0 && n < dst.Length)
        {
            ushort e = _buf[_tail];
            _tail = (_tail + 1) % Capacity;
            _count--;
            _committed--;
            if ((e & EofMarker) != 0) break;
            dst[n++] = (byte)e;
            if ((e & LineEnd) != 0) break;
        }
        if (_count == 0) _tail = 0;
        return n;
    }

    /// <summary>Whether the next byte to read is an EOF marker (a canonical read of it returns 0).</summary>
    public bool NextIsEof => _committed > 0 && (_buf[_tail] & EofMarker) != 0;

    /// <summary>A raw read: up to dst.Length bytes of what is readable.</summary>
    public int ReadRaw(Span<byte> dst)
    {
        int n = Math.Min(dst.Length, _committed);
        for (int i = 0; i < n; i++)
        {
            dst[i] = (byte)_buf[_tail];
            _tail = (_tail + 1) % Capacity;
        }
        _count -= n;
        _committed -= n;
        if (_count == 0) _tail = 0;
        return n;
    }
}
