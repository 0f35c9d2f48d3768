namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// A fixed-capacity byte FIFO: a pty's output towards its master, and the master's writes waiting for
/// the line discipline (Linux's flip buffer). Not synchronised: the pty's lock guards it.
/// </summary>
internal sealed class ByteRing(int capacity)
{
    private readonly byte[] _buf = new byte[capacity];
    private int _head, _count;

    public int Capacity => _buf.Length;
    public int Count => _count;
    public int Free => _buf.Length - _count;

    /// <summary>Appends what fits; returns how many bytes were taken.</summary>
    public int Write(ReadOnlySpan<byte> src)
    {
        int n = Math.Min(src.Length, Free);
        for (int i = 0; i < n; i++) _buf[(_head + _count + i) % _buf.Length] = src[i];
        _count += n;
        return n;
    }

    public bool TryPut(byte b)
    {
        if (_count == _buf.Length) return false;
        _buf[(_head + _count) % _buf.Length] = b;
        _count++;
        return true;
    }

    public byte Peek() => _buf[_head];

    public byte Take()
    {
        byte b = _buf[_head];
        _head = (_head + 1) % _buf.Length;
        _count--;
        return b;
    }

    /// <summary>Moves up to dst.Length bytes out; returns how many.</summary>
    public int Read(Span<byte> dst)
    {
        int n = Math.Min(dst.Length, _count);
        for (int i = 0; i < n; i++) dst[i] = _buf[(_head + i) % _buf.Length];
        _head = (_head + n) % _buf.Length;
        _count -= n;
        if (_count == 0) _head = 0;
        return n;
    }

    /// <summary>Drops everything after the first keep bytes.</summary>
    public void KeepFirst(int keep)
    {
        if (_count > keep) _count = Math.Max(keep, 0);
    }

    /// <summary>Drops the first n bytes.</summary>
    public void Discard(int n)
    {
        n = Math.Min(n, _count);
        _head = (_head + n) % _buf.Length;
        _count -= n;
        if (_count == 0) _head = 0;
    }

    public void Clear()
    {
        _head = 0;
        _count = 0;
    }
}
