using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Syscalls.File;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>Names and connections: bind (path, abstract, autobind), listen, accept, connect.</summary>
public sealed partial class UnixSocket
{
    /// <summary>unix_bind: sun_family alone autobinds; a path makes a socket node; an abstract name goes in the namespace.</summary>
    public override int Bind(Task t, ReadOnlySpan<byte> address)
    {
        if (address.Length == UnixAddress.PathOffset && UnixAddress.Family(address) == SocketFamilies.AF_UNIX) return Autobind();
        int r = UnixAddress.Validate(address);
        if (r < 0) return r;
        var addr = UnixAddress.FromValidated(address);
        return addr.IsAbstract ? BindAbstract(addr) : BindPath(t, addr);
    }

    private int BindAbstract(UnixAddress addr)
    {
        lock (_bindLock)
        {
            if (_addr is not null) return -Errno.EINVAL;
            int r = Namespace.BindAbstract(this, addr);
            if (r < 0) return r;
            Volatile.Write(ref _addr, addr);
            return 0;
        }
    }

    /// <summary>
    /// unix_bind_bsd: mknod(S_IFSOCK | (0777 &amp; ~umask)) at the path in whatever filesystem holds
    /// it (tmpfs, or the host directory behind the gofer); the socket is then found by that node's
    /// identity. An existing name is EADDRINUSE; an already bound socket EINVAL (after the node
    /// was made and removed again, as Linux).
    /// </summary>
    private int BindPath(Task t, UnixAddress addr)
    {
        lock (_bindLock)
        {
            // The node's permissions are the socket inode's (0777 unless fchmod changed them), less the umask.
            int r = SysMkdir.MakeNode(t, Libc.AT_FDCWD, addr.Path!, FileMode.Socket | (Inode!.Mode & 0xFFF), 0, out VfsPath? parent, out string name);
            if (r < 0) return r == -Errno.EEXIST ? -Errno.EADDRINUSE : r;
            if (_addr is not null)
            {
                parent!.Inode.Unlink(name, dir: false);
                return -Errno.EINVAL;
            }
            r = PathResolver.LookupChild(t, parent!, name, out VfsPath? node);
            if (r < 0) return r;
            var identity = node!.Inode.Identity;
            _family.Paths.Bind(identity, this);
            _node = identity;
            Volatile.Write(ref _addr, addr);
            return 0;
        }
    }

    /// <summary>unix_autobind: a free "\0XXXXX" name; nothing to do when already bound.</summary>
    private int Autobind()
    {
        lock (_bindLock)
        {
            if (_addr is not null) return 0;
            int r = Namespace.Autobind(this, out var addr);
            if (r < 0) return r;
            Volatile.Write(ref _addr, addr);
            return 0;
        }
    }

    /// <summary>SO_PASSCRED on an unnamed socket gives it a name before connect or sendmsg, so the receiver can tell senders apart.</summary>
    private int AutobindForCredentials()
    {
        if (!_passcred || Address is not null) return 0;
        return Autobind();
    }

    public override int Listen(Task t, int backlog)
    {
        if (!IsConnectionOriented) return -Errno.EOPNOTSUPP;
        if (Address is null) return -Errno.EINVAL;
        bool wake;
        lock (_lock)
        {
            if (_state is not (State.Close or State.Listen)) return -Errno.EINVAL;
            wake = backlog > _maxBacklog;
            _maxBacklog = backlog;
            _state = State.Listen;
            // connect copies these to its socket: SO_PEERCRED of a client names whoever listened.
            _peerCred = UnixCredentials.Effective(t);
        }
        if (wake) _peerWait.Notify(PollEvents.All);
        return 0;
    }

    public override int Accept(Task t, int flags, Span<byte> peerAddress, out int peerAddressLength, out SocketFile? accepted)
    {
        peerAddressLength = 0;
        accepted = null;
        if (!IsConnectionOriented) return -Errno.EOPNOTSUPP;
        if (_state != State.Listen) return -Errno.EINVAL;
        long deadline = Deadline(NonBlocking, _rcvTimeo);
        UnixMessage? m = null;
        bool subscribed = false;
        try
        {
            while (true)
            {
                int e = TakeError();
                if (e < 0) return e;
                lock (_lock)
                {
                    if (_head is not null)
                    {
                        m = DequeueLocked();
                        break;
                    }
                    // Shut down for reading: no more connections (accept answers EINVAL, as Linux).
                    if ((_shutdown & RcvShutdown) != 0) return -Errno.EINVAL;
                }
                if (!subscribed)
                {
                    _queue.Subscribe(t, PollEvents.In | PollEvents.Err | PollEvents.Hup | PollEvents.RdHup);
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
        var embryo = m.Embryo!;
        m.Embryo = null;
        Free(m);
        _peerWait.Notify(PollEvents.All);
        lock (embryo._lock)
        {
            embryo._embryo = false;
            embryo.Flags = Libc.O_RDWR | (flags & Libc.O_NONBLOCK);
        }
        var client = embryo.PeerOf;
        var clientAddr = client?.Address;
        peerAddressLength = clientAddr is null ? UnixAddress.WriteUnnamed(peerAddress) : clientAddr.WriteTo(peerAddress);
        accepted = embryo;
        return 0;
    }

    public override int Connect(Task t, ReadOnlySpan<byte> address) =>
        Type == SOCK_DGRAM ? ConnectDatagram(t, address) : ConnectStream(t, address);

    /// <summary>
    /// unix_find_other: a path is walked in the guest's view (write permission on the node, a socket
    /// node, bound by a socket of this type: ECONNREFUSED / EPROTOTYPE); an abstract name is looked
    /// up per type in the namespace.
    /// </summary>
    private int FindOther(Task t, UnixAddress addr, out UnixSocket? other)
    {
        other = null;
        if (addr.IsAbstract)
        {
            other = Namespace.FindAbstract(Type, addr);
            return other is null || other.Dead ? -Errno.ECONNREFUSED : 0;
        }
        int r = PathResolver.Resolve(t, Libc.AT_FDCWD, addr.Path!, followFinal: true, out VfsPath? node);
        if (r < 0) return r;
        r = FilePermissions.Check(t, node!.Inode, FilePermissions.MayWrite);
        if (r < 0) return r;
        if ((node.Inode.Mode & FileMode.TypeMask) != FileMode.Socket) return -Errno.ECONNREFUSED;
        other = _family.Paths.Find(node.Inode.Identity);
        if (other is null || other.Dead)
        {
            other = null;
            return -Errno.ECONNREFUSED;
        }
        if (other.Type != Type)
        {
            other = null;
            return -Errno.EPROTOTYPE;
        }
        return 0;
    }

    /// <summary>
    /// unix_stream_connect (stream and seqpacket): the connection is made at once — a new socket
    /// (the embryo accept will return) is queued at the listener, connected to this one. A full
    /// backlog makes a blocking connect wait and a non-blocking one fail with EAGAIN.
    /// </summary>
    private int ConnectStream(Task t, ReadOnlySpan<byte> address)
    {
        int r = UnixAddress.Validate(address);
        if (r < 0) return r;
        var addr = UnixAddress.FromValidated(address);
        r = AutobindForCredentials();
        if (r < 0) return r;
        long deadline = Deadline(NonBlocking, _sndTimeo);
        var creds = UnixCredentials.Effective(t);
        var embryo = new UnixSocket(_family, Namespace, Type, 0, embryo: true);
        while (true)
        {
            r = FindOther(t, addr, out UnixSocket? other);
            if (r < 0)
            {
                embryo.DecRef();
                return r;
            }
            bool full;
            lock (other!._lock)
            {
                if (other._dead) continue;
                if (other._state != State.Listen || (other._shutdown & RcvShutdown) != 0)
                {
                    embryo.DecRef();
                    return -Errno.ECONNREFUSED;
                }
                full = other._qlen > other._maxBacklog;
                if (!full)
                {
                    // Self-connect and crossed connects are excluded by refusing anything but an unconnected socket here.
                    var st = _state;
                    if (st != State.Close)
                    {
                        embryo.DecRef();
                        return st == State.Established ? -Errno.EISCONN : -Errno.EINVAL;
                    }
                    lock (_lock)
                    {
                        if (_state != State.Close)
                        {
                            embryo.DecRef();
                            return _state == State.Established ? -Errno.EISCONN : -Errno.EINVAL;
                        }
                        embryo._peer = this;
                        embryo._state = State.Established;
                        embryo._peerCred = creds;
                        embryo._passcred = other._passcred;
                        embryo._addr = other.Address;
                        embryo._peerRefs = 1;
                        _peerCred = other._peerCred;
                        _state = State.Established;
                        _peer = embryo;
                        _peerRefs++;
                    }
                    var request = UnixMessage.Create(ReadOnlySpan<byte>.Empty);
                    request.Embryo = embryo;
                    other.EnqueueLocked(request);
                }
            }
            if (!full)
            {
                other.DataReady();
                return 0;
            }
            if (deadline == 0)
            {
                embryo.DecRef();
                return -Errno.EAGAIN;
            }
            r = WaitForPeer(t, other, deadline);
            if (r == -Errno.EAGAIN) deadline = 0; // timed out: one more look, then EAGAIN
            else if (r < 0)
            {
                embryo.DecRef();
                return r;
            }
        }
    }

    /// <summary>
    /// unix_wait_for_peer: sleeps (exclusively, one waiter per freed slot) until other's queue
    /// has room, other shuts down or dies. 0 to look again, -EAGAIN at the deadline, or a signal's errno.
    /// </summary>
    private static int WaitForPeer(Task t, UnixSocket other, long deadline)
    {
        other._peerWait.Subscribe(t, PollEvents.All, exclusive: true);
        try
        {
            if (other.Dead || (Volatile.Read(ref other._shutdown) & RcvShutdown) != 0 || !other.RecvQueueFull) return 0;
            return Sleep(t, deadline);
        }
        finally
        {
            other._peerWait.Unsubscribe(t);
        }
    }

    /// <summary>
    /// unix_dgram_connect: sets (or with AF_UNSPEC clears) the default destination; a socket
    /// connected to another one may only be reached from it (EPERM). Changing peers drops what
    /// the old peer had queued here and tells it (ECONNRESET) if it was connected back.
    /// </summary>
    private int ConnectDatagram(Task t, ReadOnlySpan<byte> address)
    {
        if (address.Length < 2) return -Errno.EINVAL;
        bool unspec = UnixAddress.Family(address) == SocketFamilies.AF_UNSPEC;
        UnixAddress? addr = null;
        if (!unspec)
        {
            int r = UnixAddress.Validate(address);
            if (r < 0) return r;
            addr = UnixAddress.FromValidated(address);
            r = AutobindForCredentials();
            if (r < 0) return r;
        }
        UnixSocket? other = null, old;
        UnixMessage? dropped = null;
        while (true)
        {
            if (!unspec)
            {
                int r = FindOther(t, addr!, out other);
                if (r < 0) return r;
            }
            EnterBoth(this, other);
            try
            {
                if (other is not null)
                {
                    if (other._dead) continue;
                    if (!MaySend(this, other)) return -Errno.EPERM;
                    _state = State.Established;
                    other._state = State.Established;
                }
                old = _peer;
                _peer = other;
                if (old is not null)
                {
                    if (other is null) _state = State.Close;
                    if (!ReferenceEquals(old, other)) dropped = TakeQueueLocked();
                }
            }
            finally
            {
                ExitBoth(this, other);
            }
            break;
        }
        if (other is not null && !ReferenceEquals(other, old)) Interlocked.Increment(ref other._peerRefs);
        if (old is null) return 0;
        _relay.Disconnect(old);
        WriteSpaceWakeup();
        if (!ReferenceEquals(old, other))
        {
            Interlocked.Decrement(ref old._peerRefs);
            Disconnected(old, dropped);
        }
        return 0;
    }

    /// <summary>A send found the connected peer dead: forget it (the caller answers ECONNREFUSED). False if the peer had already changed.</summary>
    private bool DropDeadPeer(UnixSocket other)
    {
        UnixMessage? dropped;
        lock (_lock)
        {
            if (!ReferenceEquals(_peer, other)) return false;
            _peer = null;
            _state = State.Close;
            dropped = TakeQueueLocked();
        }
        _relay.Disconnect(other);
        WriteSpaceWakeup();
        Interlocked.Decrement(ref other._peerRefs);
        Disconnected(other, dropped);
        return true;
    }

    /// <summary>
    /// unix_dgram_disconnected: what the old peer had queued here is dropped; if it is connected
    /// back to this socket it learns (ECONNRESET) that messages were lost.
    /// </summary>
    private void Disconnected(UnixSocket old, UnixMessage? dropped)
    {
        if (dropped is not null)
        {
            _peerWait.Notify(PollEvents.All);
            FreeAll(dropped);
            if (!old.Dead && ReferenceEquals(old.PeerOf, this))
            {
                Volatile.Write(ref old._err, Errno.ECONNRESET);
                old.ErrorReport();
            }
        }
        lock (old._lock)
        {
            if (old._peer is null) old._state = State.Close;
        }
    }

    /// <summary>unix_may_send: other is unconnected or connected to this socket.</summary>
    private static bool MaySend(UnixSocket self, UnixSocket other)
    {
        var p = other._peer;
        return p is null || ReferenceEquals(p, self);
    }

    /// <summary>Takes both sockets' locks in Id order (unix_state_double_lock); b may be null or a.</summary>
    private static void EnterBoth(UnixSocket a, UnixSocket? b)
    {
        if (b is null || ReferenceEquals(a, b))
        {
            Monitor.Enter(a._lock);
            return;
        }
        Monitor.Enter((a.Id < b.Id ? a : b)._lock);
        Monitor.Enter((a.Id < b.Id ? b : a)._lock);
    }

    private static void ExitBoth(UnixSocket a, UnixSocket? b)
    {
        if (b is null || ReferenceEquals(a, b))
        {
            Monitor.Exit(a._lock);
            return;
        }
        Monitor.Exit((a.Id < b.Id ? b : a)._lock);
        Monitor.Exit((a.Id < b.Id ? a : b)._lock);
    }
}
