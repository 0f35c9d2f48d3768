using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>Sending: unix_stream_sendmsg, unix_dgram_sendmsg and unix_seqpacket_sendmsg.</summary>
public sealed partial class UnixSocket
{
    /// <summary>The largest piece one stream skb takes (SKB_MAX_HEAD(0) + UNIX_SKB_FRAGS_SZ on x86-64).</summary>
    private const int MaxStreamChunk = 3776 + 32768;

    public override long Send(Task t, ReadOnlySpan<byte> data, ReadOnlySpan<byte> address, ReadOnlySpan<byte> control, int flags)
    {
        var scm = default(UnixScm);
        if (!control.IsEmpty)
        {
            int r = UnixControl.Parse(t, control, ref scm);
            if (r < 0) return r;
        }
        try
        {
            bool nonBlocking = NonBlocking || (flags & MSG_DONTWAIT) != 0;
            return Type == SOCK_STREAM
                ? SendStream(t, data, address, ref scm, flags, nonBlocking)
                : SendMessage(t, data, address, ref scm, flags, nonBlocking);
        }
        finally
        {
            scm.Destroy();
        }
    }

    /// <summary>
    /// unix_stream_sendmsg: the data goes to the peer's queue in pieces of at most half the send
    /// budget, each waiting for budget; descriptions ride with the first piece. EPIPE (the caller
    /// raises SIGPIPE) once this side is shut down for writing or the peer will read no more.
    /// </summary>
    private long SendStream(Task t, ReadOnlySpan<byte> data, ReadOnlySpan<byte> address, ref UnixScm scm, int flags, bool nonBlocking)
    {
        if ((flags & MSG_OOB) != 0) return -Errno.EOPNOTSUPP;
        if (!address.IsEmpty) return _state == State.Established ? -Errno.EISCONN : -Errno.EOPNOTSUPP;
        var other = PeerOf;
        if (other is null) return -Errno.ENOTCONN;
        if ((Volatile.Read(ref _shutdown) & SendShutdown) != 0) return -Errno.EPIPE;
        int sent = 0;
        while (sent < data.Length)
        {
            int size = Math.Min(data.Length - sent, Math.Min(Volatile.Read(ref _sndbuf) / 2 - 64, MaxStreamChunk));
            int r = WaitForBudget(t, nonBlocking);
            if (r < 0) return sent > 0 ? sent : r;
            var m = NewMessage(t, data.Slice(sent, size), other, ref scm);
            lock (other._lock)
            {
                if (!other._dead && (other._shutdown & RcvShutdown) == 0)
                {
                    other.EnqueueLocked(m);
                    m = null;
                }
            }
            if (m is not null)
            {
                Free(m);
                return sent > 0 ? sent : -Errno.EPIPE;
            }
            other.DataReady();
            sent += size;
        }
        return sent;
    }

    /// <summary>
    /// unix_dgram_sendmsg (and unix_seqpacket_sendmsg, which sends to the peer only): one message,
    /// to the named socket or the connected one. A receiver that is not connected back may hold
    /// only max_dgram_qlen messages: then a blocking sender waits and a non-blocking one gets EAGAIN.
    /// A dead connected peer is forgotten with ECONNREFUSED (EPIPE for seqpacket).
    /// </summary>
    private long SendMessage(Task t, ReadOnlySpan<byte> data, ReadOnlySpan<byte> address, ref UnixScm scm, int flags, bool nonBlocking)
    {
        if (Type == SOCK_SEQPACKET)
        {
            int e = TakeError();
            if (e < 0) return e;
            if (_state != State.Established) return -Errno.ENOTCONN;
            address = ReadOnlySpan<byte>.Empty;
        }
        if ((flags & MSG_OOB) != 0) return -Errno.EOPNOTSUPP;
        UnixAddress? to = null;
        if (!address.IsEmpty)
        {
            int v = UnixAddress.Validate(address);
            if (v < 0) return v;
            to = UnixAddress.FromValidated(address);
        }
        int r = AutobindForCredentials();
        if (r < 0) return r;
        if (data.Length > Volatile.Read(ref _sndbuf) - 32) return -Errno.EMSGSIZE;
        r = WaitForBudget(t, nonBlocking);
        if (r < 0) return r;
        long deadline = Deadline(nonBlocking, _sndTimeo);
        UnixSocket? other;
        while (true)
        {
            if (to is not null)
            {
                r = FindOther(t, to, out other);
                if (r < 0) return r;
            }
            else
            {
                other = PeerOf;
                if (other is null) return -Errno.ENOTCONN;
            }
            var m = NewMessage(t, data, other!, ref scm);
            bool lookAgain = false;
            while (true)
            {
                int result = 0;
                lock (other!._lock)
                {
                    if (!MaySend(this, other)) result = -Errno.EPERM;
                    else if (other._dead) result = 1;
                    else if ((other._shutdown & RcvShutdown) != 0) result = -Errno.EPIPE;
                    else if (ReferenceEquals(other, this) || ReferenceEquals(other._peer, this) || other._qlen <= other._maxBacklog)
                    {
                        if (Volatile.Read(ref other._timestamp) != 0) m.Timestamp = MonotonicClock.RealtimeNs();
                        other.EnqueueLocked(m);
                        m = null;
                    }
                }
                if (m is null)
                {
                    other.DataReady();
                    return data.Length;
                }
                if (result == 1)
                {
                    // The destination died under us.
                    if (Type == SOCK_SEQPACKET) result = -Errno.EPIPE;
                    else if (DropDeadPeer(other)) result = -Errno.ECONNREFUSED;
                    else if (to is null) result = -Errno.ECONNRESET;
                    else
                    {
                        lookAgain = true;
                        result = 0;
                    }
                }
                if (result < 0 || lookAgain)
                {
                    // The message goes back unsent: its descriptions return to scm's care for closing.
                    scm.Rights ??= TakeRightsBack(m);
                    Free(m);
                    if (result < 0) return result;
                    break;
                }
                // The receiver's queue is full.
                if (deadline != 0)
                {
                    r = WaitForPeer(t, other, deadline);
                    if (r == -Errno.EAGAIN) deadline = 0;
                    else if (r < 0)
                    {
                        scm.Rights ??= TakeRightsBack(m);
                        Free(m);
                        return r;
                    }
                    continue;
                }
                if (!ReferenceEquals(PeerOf, other) || _relay.WakeMe(other))
                {
                    scm.Rights ??= TakeRightsBack(m);
                    Free(m);
                    return -Errno.EAGAIN;
                }
            }
        }
    }

    /// <summary>
    /// sock_alloc_send_pskb's wait: a pending error or a shut-down write side ends it; otherwise
    /// it waits (unless non-blocking: EAGAIN) while the budget is used up, until the socket is
    /// writable again.
    /// </summary>
    private int WaitForBudget(Task t, bool nonBlocking)
    {
        long deadline = Deadline(nonBlocking, _sndTimeo);
        bool subscribed = false;
        try
        {
            while (true)
            {
                int e = TakeError();
                if (e < 0) return e;
                if ((Volatile.Read(ref _shutdown) & SendShutdown) != 0) return -Errno.EPIPE;
                if (Volatile.Read(ref _wmem) < Volatile.Read(ref _sndbuf)) return 0;
                if (deadline == 0) return -Errno.EAGAIN;
                if (!subscribed)
                {
                    _queue.Subscribe(t, PollEvents.Out | PollEvents.Err | PollEvents.Hup);
                    subscribed = true;
                    continue;
                }
                int r = Sleep(t, deadline);
                if (r < 0) return r;
            }
        }
        finally
        {
            if (subscribed) _queue.Unsubscribe(t);
        }
    }

    /// <summary>
    /// A message from this socket to other with the data copied, charged to this socket's budget,
    /// carrying scm's descriptions (taken over: later pieces of a stream carry none) and the
    /// credentials (given ones, or the sender's when either end passes credentials or the receiver
    /// is not yet accepted: unix_maybe_add_creds).
    /// </summary>
    private UnixMessage NewMessage(Task t, ReadOnlySpan<byte> data, UnixSocket other, ref UnixScm scm)
    {
        var m = UnixMessage.Create(data);
        m.Sender = this;
        if (scm.HasCreds) m.Creds = scm.Creds;
        else if (Volatile.Read(ref _passcred) || Volatile.Read(ref other._passcred) || other._embryo) m.Creds = UnixCredentials.Real(t);
        else m.Creds = UnixCredentials.None;
        m.Charge = data.Length + UnixMessage.Overhead;
        Interlocked.Add(ref _wmem, m.Charge);
        if (scm.Rights is { } rights)
        {
            scm.Rights = null;
            m.Rights = rights;
            UnixGarbageCollector.Queued(rights);
        }
        return m;
    }

    /// <summary>Takes a not-sent message's descriptions back (undoing their in-flight count) so that a retry can carry them.</summary>
    private static FileDescription[]? TakeRightsBack(UnixMessage? m)
    {
        if (m?.Rights is not { } rights) return null;
        m.Rights = null;
        UnixGarbageCollector.Dequeued(rights);
        return rights;
    }
}
