using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>Receiving: unix_stream_read_generic and __unix_dgram_recvmsg, with the control messages of scm_recv_unix.</summary>
public sealed partial class UnixSocket
{
    public override long Receive(Task t, Span<byte> data, int flags, Span<byte> address, out int addressLength,
        Span<byte> control, out int controlLength, out int messageFlags)
    {
        addressLength = 0;
        controlLength = 0;
        messageFlags = 0;
        bool nonBlocking = NonBlocking || (flags & MSG_DONTWAIT) != 0;
        return Type == SOCK_STREAM
            ? ReceiveStream(t, data, flags, nonBlocking, address, ref addressLength, control, ref controlLength, ref messageFlags)
            : ReceiveMessage(t, data, flags, nonBlocking, address, ref addressLength, control, ref controlLength, ref messageFlags);
    }

    /// <summary>
    /// unix_stream_read_generic: reads across queued pieces until the buffer is full or nothing
    /// more is there and at least SO_RCVLOWAT (all, with MSG_WAITALL) was read. Never joins pieces
    /// of different senders while credentials are passed, and stops after a piece that carried
    /// descriptions. Queued data comes first, then a pending error (ECONNRESET after the peer closed
    /// with unread data), then EOF.
    /// </summary>
    private long ReceiveStream(Task t, Span<byte> data, int flags, bool nonBlocking, Span<byte> address, ref int addressLength,
        Span<byte> control, ref int controlLength, ref int messageFlags)
    {
        if (_state != State.Established) return -Errno.EINVAL;
        if ((flags & MSG_OOB) != 0) return -Errno.EOPNOTSUPP;
        bool peek = (flags & MSG_PEEK) != 0;
        int size = data.Length;
        int target = (flags & MSG_WAITALL) != 0 ? size : Math.Min(_rcvLowat, size);
        if (target == 0) target = 1;
        long deadline = Deadline(nonBlocking, _rcvTimeo);
        int copied = 0;
        long err = 0;
        bool checkCreds = false;
        var creds = new UnixCredentials(0, 0, 0);
        FileDescription[]? fds = null;
        UnixMessage? consumed = null;
        bool subscribed = false;
        try
        {
            while (true)
            {
                bool wait = false;
                lock (_lock)
                {
                    int skip = peek ? Math.Max(_peekOff, 0) : 0;
                    var m = _head;
                    while (true)
                    {
                        while (m is not null && skip >= m.Unread)
                        {
                            skip -= m.Unread;
                            m = m.Next;
                        }
                        if (m is null)
                        {
                            if (copied >= target) break;
                            int e = TakeError();
                            if (e < 0)
                            {
                                err = e;
                                break;
                            }
                            if ((_shutdown & RcvShutdown) != 0) break;
                            wait = true;
                            break;
                        }
                        if (checkCreds)
                        {
                            if (m.Creds != creds) break;
                        }
                        else if (_passcred)
                        {
                            creds = m.Creds;
                            checkCreds = true;
                        }
                        if (!address.IsEmpty) addressLength = WriteSenderAddress(m, address);
                        int chunk = Math.Min(m.Unread - skip, size);
                        m.Data.Slice(m.Consumed + skip, chunk).CopyTo(data[copied..]);
                        copied += chunk;
                        size -= chunk;
                        if (!peek)
                        {
                            m.Consumed += chunk;
                            _qbytes -= chunk;
                            PeekOffsetBackLocked(chunk);
                            if (m.Rights is not null)
                            {
                                fds = m.Rights;
                                m.Rights = null;
                            }
                            if (m.Unread > 0) break;
                            var done = DequeueLocked();
                            done.Next = consumed;
                            consumed = done;
                            if (fds is not null || size == 0) break;
                            m = _head;
                        }
                        else
                        {
                            bool hadRights = m.Rights is not null;
                            if (hadRights) fds = Duplicate(m.Rights!);
                            PeekOffsetForwardLocked(chunk);
                            if (hadRights || size == 0) break;
                            skip = 0;
                            m = m.Next;
                            // A peek returns what is there without waiting for more.
                            if (m is null) break;
                        }
                    }
                }
                if (!wait) break;
                if (deadline == 0)
                {
                    err = -Errno.EAGAIN;
                    break;
                }
                if (!subscribed)
                {
                    _queue.Subscribe(t, PollEvents.In | PollEvents.Err | PollEvents.Hup | PollEvents.RdHup);
                    subscribed = true;
                    continue;
                }
                int r = Sleep(t, deadline);
                if (r == -Errno.EAGAIN) deadline = 0;
                else if (r < 0)
                {
                    err = r;
                    break;
                }
            }
        }
        finally
        {
            if (subscribed) _queue.Unsubscribe(t);
        }
        FreeConsumed(consumed, fds, peek);
        long result = copied > 0 ? copied : err;
        if (result < 0)
        {
            if (fds is not null) CloseAll(fds);
            return result;
        }
        var w = new UnixControlWriter(control);
        DeliverControl(t, ref w, control.IsEmpty, flags, creds, fds);
        controlLength = w.Length;
        messageFlags |= w.Flags;
        return result;
    }

    /// <summary>
    /// __unix_dgram_recvmsg (and unix_seqpacket_recvmsg): one message per call, cut to the buffer
    /// (MSG_TRUNC; with MSG_TRUNC in flags the call returns its full length); SO_PEEK_OFF peeks
    /// into the queue at an offset. A pending error comes before queued messages, as for every
    /// datagram socket.
    /// </summary>
    private long ReceiveMessage(Task t, Span<byte> data, int flags, bool nonBlocking, Span<byte> address, ref int addressLength,
        Span<byte> control, ref int controlLength, ref int messageFlags)
    {
        if (Type == SOCK_SEQPACKET && _state != State.Established) return -Errno.ENOTCONN;
        if ((flags & MSG_OOB) != 0) return -Errno.EOPNOTSUPP;
        bool peek = (flags & MSG_PEEK) != 0;
        long deadline = Deadline(nonBlocking, _rcvTimeo);
        UnixMessage? taken = null;
        FileDescription[]? fds = null;
        UnixCredentials creds = default;
        long stamp = 0;
        long result;
        bool subscribed = false;
        try
        {
            while (true)
            {
                lock (_lock)
                {
                    int e = TakeError();
                    if (e < 0) return e;
                    int skip = 0;
                    var m = _head;
                    if (peek && _peekOff >= 0)
                    {
                        skip = _peekOff;
                        while (m is not null && skip >= m.Length && (skip > 0 || m.Peeked))
                        {
                            skip -= m.Length;
                            m = m.Next;
                        }
                    }
                    if (m is not null)
                    {
                        if (peek) m.Peeked = true;
                        else taken = DequeueLocked();
                        if (!address.IsEmpty) addressLength = WriteSenderAddress(m, address);
                        int avail = m.Length - skip;
                        int n = Math.Min(data.Length, avail);
                        if (n < avail) messageFlags |= MSG_TRUNC;
                        m.Data.Slice(skip, n).CopyTo(data);
                        creds = m.Creds;
                        stamp = m.Timestamp;
                        if (!peek)
                        {
                            fds = m.Rights;
                            m.Rights = null;
                            PeekOffsetBackLocked(m.Length);
                        }
                        else
                        {
                            PeekOffsetForwardLocked(n);
                            if (m.Rights is not null) fds = Duplicate(m.Rights);
                        }
                        result = (flags & MSG_TRUNC) != 0 ? avail : n;
                        break;
                    }
                    if (deadline == 0)
                    {
                        // A non-blocking seqpacket socket whose peer is gone reads EOF.
                        return Type == SOCK_SEQPACKET && (_shutdown & RcvShutdown) != 0 ? 0 : -Errno.EAGAIN;
                    }
                    if ((_shutdown & RcvShutdown) != 0) return 0;
                    if (Type == SOCK_SEQPACKET && _state != State.Established) return -Errno.ENOTCONN;
                }
                if (!subscribed)
                {
                    _queue.Subscribe(t, PollEvents.In | PollEvents.Err | PollEvents.Hup | PollEvents.RdHup);
                    subscribed = true;
                    continue;
                }
                int r = Sleep(t, deadline);
                if (r == -Errno.EAGAIN) deadline = 0;
                else if (r < 0) return r;
            }
        }
        finally
        {
            if (subscribed) _queue.Unsubscribe(t);
        }
        // Senders waiting for room in this queue (and relays of connected sockets) look again.
        _peerWait.Notify(PollEvents.Out | PollEvents.WrNorm | PollEvents.WrBand);
        if (taken is not null)
        {
            if (fds is not null) UnixGarbageCollector.Dequeued(fds);
            Free(taken);
        }
        var w = new UnixControlWriter(control);
        int ts = Volatile.Read(ref _timestamp);
        if (ts != 0) PutTimestamp(ref w, ts, stamp == 0 ? MonotonicClock.RealtimeNs() : stamp);
        DeliverControl(t, ref w, control.IsEmpty, flags, creds, fds);
        controlLength = w.Length;
        messageFlags |= w.Flags;
        return result;
    }

    /// <summary>The sender's current name, as unix_copy_addr gives it (nothing when the sender is unnamed).</summary>
    private static int WriteSenderAddress(UnixMessage m, Span<byte> address)
    {
        var addr = m.Sender?.Address;
        return addr is null ? 0 : addr.WriteTo(address);
    }

    /// <summary>scm_recv_unix: SCM_CREDENTIALS when this socket passes credentials, then the descriptions; MSG_CTRUNC when there is no room.</summary>
    private void DeliverControl(Task t, ref UnixControlWriter w, bool noControl, int flags, UnixCredentials creds, FileDescription[]? fds)
    {
        bool passcred = Volatile.Read(ref _passcred);
        if (noControl)
        {
            if (passcred || fds is not null) w.MarkTruncated();
            if (fds is not null) CloseAll(fds);
            return;
        }
        if (passcred)
        {
            Span<byte> ucred = stackalloc byte[UnixCredentials.Size];
            creds.WriteMunged(ucred);
            w.Put(UnixControl.SOL_SOCKET, UnixControl.SCM_CREDENTIALS, ucred);
        }
        if (fds is not null) w.PutRights(t, fds, (flags & MSG_CMSG_CLOEXEC) != 0);
    }

    /// <summary>SCM_TIMESTAMP(NS): a timeval or timespec of when the datagram was queued.</summary>
    private static void PutTimestamp(ref UnixControlWriter w, int type, long realtimeNs)
    {
        Span<byte> tv = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(tv, realtimeNs / 1_000_000_000);
        long frac = realtimeNs % 1_000_000_000;
        bool ns = type is SO_TIMESTAMPNS_OLD or SO_TIMESTAMPNS_NEW;
        BinaryPrimitives.WriteInt64LittleEndian(tv[8..], ns ? frac : frac / 1000);
        w.Put(UnixControl.SOL_SOCKET, type, tv);
    }

    /// <summary>Frees the stream pieces read to the end (descriptions already detached are no longer in flight).</summary>
    private static void FreeConsumed(UnixMessage? consumed, FileDescription[]? fds, bool peek)
    {
        if (fds is not null && !peek) UnixGarbageCollector.Dequeued(fds);
        FreeAll(consumed);
    }

    private static FileDescription[] Duplicate(FileDescription[] rights)
    {
        var copy = new FileDescription[rights.Length];
        for (int i = 0; i < rights.Length; i++)
        {
            rights[i].IncRef();
            copy[i] = rights[i];
        }
        return copy;
    }

    private static void CloseAll(FileDescription[] fds)
    {
        foreach (var f in fds) f.DecRef();
    }

    /// <summary>sk_peek_offset_bwd: a read moves an enabled peek offset back.</summary>
    private void PeekOffsetBackLocked(int n)
    {
        if (_peekOff >= 0) _peekOff = Math.Max(_peekOff - n, 0);
    }

    /// <summary>sk_peek_offset_fwd: a peek moves an enabled peek offset on.</summary>
    private void PeekOffsetForwardLocked(int n)
    {
        if (_peekOff >= 0) _peekOff += n;
    }
}
