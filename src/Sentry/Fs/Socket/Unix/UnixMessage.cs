using System.Buffers;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// One queued unit of a receive queue (Linux's sk_buff with its unix_skb_parms): a datagram, a
/// seqpacket record or a piece of a stream write, with the sender (whose current name recvfrom
/// reports and whose send budget it is charged to), credentials, passed descriptions and the
/// receive timestamp; or, in a listener's queue, a connection waiting for accept (Embryo).
/// Data lives in a pooled buffer and messages themselves are recycled.
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

    /// <summary>Recycled messages, so that sending allocates nothing once warmed up.</summary>
    private static readonly UnixMessage?[] s_pool = new UnixMessage?[1024];
    private static int s_pooled;

    public static UnixMessage Create(ReadOnlySpan<byte> data)
    {
        UnixMessage? m = null;
        lock (s_pool)
        {
            if (s_pooled > 0)
            {
                m = s_pool[--s_pooled];
                s_pool[s_pooled] = null;
            }
        }
        m ??= new UnixMessage();
        m.Length = data.Length;
        if (data.Length > 0)
        {
            m._data = ArrayPool<byte>.Shared.Rent(data.Length);
            data.CopyTo(m._data);
        }
        return m;
    }

    /// <summary>Gives the data buffer back and the message to the pool (it must not be used afterwards).</summary>
    public void Recycle()
    {
        if (_data.Length > 0) ArrayPool<byte>.Shared.Return(_data);
        _data = [];
        Next = null;
        Length = Consumed = Charge = 0;
        Sender = null;
        Creds = default;
        Rights = null;
        Embryo = null;
        Timestamp = 0;
        Peeked = false;
        lock (s_pool)
        {
            if (s_pooled < s_pool.Length) s_pool[s_pooled++] = this;
        }
    }
}
