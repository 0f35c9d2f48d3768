using System.Buffers;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// One queued unit of a receive queue (Linux's sk_buff with its unix_skb_parms): a datagram, a
/// seqpacket record or a piece of a stream write, with the sender (whose current name recvfrom
/// reports and whose send budget it is charged to), credentials, passed descriptions and the
/// receive timestamp; or, in a listener's queue, a connection waiting for accept (Embryo).
/// Data lives in a pooled buffer; released messages go back to the pool.
/// </summary>
internal sealed class UnixMessage
{
    /// <summary>Bytes charged to the sender's SO_SNDBUF budget besides the data (Linux's sk_buff overhead in truesize).</summary>
    public const int Overhead = 576;

    private byte[] _data = [];

    public UnixMessage? Next;

    public int Length;

    /// <summary>Stream bytes already read from the front.</summary>
    public int Consumed;

    public UnixSocket? Sender;
    public UnixCredentials Creds;
    public FileDescription[]? Rights;
    public UnixSocket? Embryo;

    /// <summary>CLOCK_REALTIME at enqueue in ns (SO_TIMESTAMP), 0 when not stamped.</summary>
    public long Timestamp;

    /// <summary>Set once a zero-length datagram was peeked (an enabled peek offset then steps over it, as Linux's skb->peeked).</summary>
    public bool Peeked;

    /// <summary>What the sender's budget was charged (returned when the message is freed).</summary>
    public int Charge;

    public int Unread => Length - Consumed;

    public ReadOnlySpan<byte> Data => _data.AsSpan(0, Length);

    public static UnixMessage Create(ReadOnlySpan<byte> data)
    {
        var m = new UnixMessage { Length = data.Length };
        if (data.Length > 0)
        {
            m._data = ArrayPool<byte>.Shared.Rent(data.Length);
            data.CopyTo(m._data);
        }
        return m;
    }

    /// <summary>Returns the data buffer to the pool (the message must not be used afterwards).</summary>
    public void FreeData()
    {
        if (_data.Length > 0) ArrayPool<byte>.Shared.Return(_data);
        _data = [];
        Length = 0;
    }
}
