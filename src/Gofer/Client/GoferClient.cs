using Csrunsc.Gofer.Protocol;
using Csrunsc.Native;

namespace Csrunsc.Gofer;

/// <summary>
/// The Sentry's side of the gofer channel. Thread-safe: one lock around each request/response
/// round trip, with the frame buffers reused under it. Every method returns 0 (or a count) on
/// success and -errno on failure, like a Linux syscall; once the channel breaks (the gofer died
/// or sent garbage) every call returns -EIO at once. Nothing throws and nothing hangs on a dead peer.
/// Owner ids of 0xFFFFFFFF (-1) mean "leave as is".
/// </summary>
public sealed class GoferClient(int socketFd) : IDisposable
{
    /// <summary>Bytes of directory entries asked for per ReadDir round trip.</summary>
    public const int ReadDirBatchBytes = 32 * 1024;

    private const int MaxFds = 4;

    private readonly Lock _lock = new();
    private readonly PayloadWriter _request = new(1024);
    private byte[] _response = new byte[64 * 1024];
    private readonly int[] _fds = new int[MaxFds];
    private int _fdCount;
    private int _responseLength;
    private int _socket = socketFd;
    private bool _broken;

    /// <summary>
    /// Called once, on the thread whose call found it, when the channel fails while in use (the
    /// gofer died, or answered garbage) — never for <see cref="Dispose"/>. The sandbox ends the
    /// container then: without its gofer every file operation would answer EIO forever.
    /// </summary>
    public Action<string>? ChannelLost { get; set; }

    /// <summary>True once the channel failed; all calls then return -EIO.</summary>
    public bool IsBroken
    {
        get { lock (_lock) return _broken; }
    }

    // ---- requests ----

    /// <summary>Attaches to tree <paramref name="index"/> (0 = rootfs, i = bind mount i-1).</summary>
    public int Attach(uint index, out uint fid, out StatBuf stat)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(index);
            return FidAndStat(Call(MessageId.Attach), out fid, out stat);
        }
    }

    /// <summary>Walks one component (never follows a symlink: a symlink comes back as itself).</summary>
    public int Walk(uint dirFid, string name, out uint fid, out StatBuf stat)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(dirFid);
            _request.String(name);
            return FidAndStat(Call(MessageId.Walk), out fid, out stat);
        }
    }

    public int Stat(uint fid, out StatBuf stat)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(fid);
            int r = Call(MessageId.Stat);
            stat = default;
            if (r != 0) return r;
            var reader = Body();
            stat = reader.Raw<StatBuf>();
            return Checked(ref reader);
        }
    }

    /// <summary>Opens the file with the guest's flags (O_CREAT not allowed); the caller owns <paramref name="hostFd"/>.</summary>
    public int Open(uint fid, int flags, out int hostFd)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(fid);
            _request.I32(flags);
            int r = Call(MessageId.Open);
            hostFd = -1;
            if (r != 0) return r;
            return TakeFd(out hostFd);
        }
    }

    /// <summary>Creates (or, without O_EXCL, opens) a regular file; returns a new fid, its stat and an open host fd.</summary>
    public int Create(uint dirFid, string name, int flags, uint mode, uint uid, uint gid, out uint fid, out StatBuf stat, out int hostFd)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(dirFid);
            _request.String(name);
            _request.I32(flags);
            _request.U32(mode);
            _request.U32(uid);
            _request.U32(gid);
            int r = FidAndStat(Call(MessageId.Create), out fid, out stat);
            hostFd = -1;
            if (r != 0) return r;
            return TakeFd(out hostFd);
        }
    }

    public int Mkdir(uint dirFid, string name, uint mode, uint uid, uint gid, out uint fid, out StatBuf stat)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(dirFid);
            _request.String(name);
            _request.U32(mode);
            _request.U32(uid);
            _request.U32(gid);
            return FidAndStat(Call(MessageId.Mkdir), out fid, out stat);
        }
    }

    /// <summary>Makes a regular file, FIFO or socket node (S_IFMT in <paramref name="mode"/>); device nodes get EPERM.</summary>
    public int Mknod(uint dirFid, string name, uint mode, ulong dev, uint uid, uint gid, out uint fid, out StatBuf stat)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(dirFid);
            _request.String(name);
            _request.U32(mode);
            _request.U64(dev);
            _request.U32(uid);
            _request.U32(gid);
            return FidAndStat(Call(MessageId.Mknod), out fid, out stat);
        }
    }

    public int Symlink(uint dirFid, string name, string target, uint uid, uint gid, out uint fid, out StatBuf stat)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(dirFid);
            _request.String(name);
            _request.String(target);
            _request.U32(uid);
            _request.U32(gid);
            return FidAndStat(Call(MessageId.Symlink), out fid, out stat);
        }
    }

    /// <summary>Makes <paramref name="name"/> in <paramref name="dirFid"/> a hard link to <paramref name="targetFid"/>'s file.</summary>
    public int Link(uint dirFid, string name, uint targetFid, out uint fid, out StatBuf stat)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(dirFid);
            _request.String(name);
            _request.U32(targetFid);
            return FidAndStat(Call(MessageId.Link), out fid, out stat);
        }
    }

    /// <summary>Removes a name; <paramref name="flags"/> may be AT_REMOVEDIR.</summary>
    public int Unlink(uint dirFid, string name, int flags = 0)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(dirFid);
            _request.String(name);
            _request.I32(flags);
            return Call(MessageId.Unlink);
        }
    }

    /// <summary>Renames within one attach point (EXDEV across); <paramref name="flags"/> may be RENAME_NOREPLACE or RENAME_EXCHANGE.</summary>
    public int Rename(uint oldDirFid, string oldName, uint newDirFid, string newName, uint flags = 0)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(oldDirFid);
            _request.String(oldName);
            _request.U32(newDirFid);
            _request.String(newName);
            _request.U32(flags);
            return Call(MessageId.Rename);
        }
    }

    public int Readlink(uint fid, out string target)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(fid);
            int r = Call(MessageId.Readlink);
            target = string.Empty;
            if (r != 0) return r;
            var reader = Body();
            target = reader.String();
            return Checked(ref reader);
        }
    }

    /// <summary>Appends every entry of the directory ("." and ".." excluded) to <paramref name="into"/>; returns the count added.</summary>
    public int ReadDir(uint fid, List<GoferDirEntry> into)
    {
        ulong offset = 0;
        int total = 0;
        while (true)
        {
            int r = ReadDirBatch(fid, offset, into, out ulong next, out bool eof);
            if (r < 0) return r;
            if (!eof && r == 0 && next == offset)
            {
                lock (_lock) return Break(); // a server that does not advance would loop forever
            }
            offset = next;
            total += r;
            if (eof) return total;
        }
    }

    /// <summary>
    /// One round trip of ReadDir from <paramref name="offset"/> (0 = start): appends entries, returns
    /// how many, and where to continue. Done when <paramref name="eof"/>.
    /// </summary>
    public int ReadDirBatch(uint fid, ulong offset, List<GoferDirEntry> into, out ulong nextOffset, out bool eof)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(fid);
            _request.U64(offset);
            _request.U32(ReadDirBatchBytes);
            int r = Call(MessageId.ReadDir);
            nextOffset = offset;
            eof = true;
            if (r != 0) return r;
            var reader = Body();
            nextOffset = reader.U64();
            eof = reader.U8() != 0;
            uint count = reader.U32();
            for (uint i = 0; i < count && !reader.Failed; i++)
            {
                ulong ino = reader.U64();
                ulong off = reader.U64();
                byte type = reader.U8();
                string name = reader.String();
                if (!reader.Failed) into.Add(new GoferDirEntry(name, ino, type, off));
            }
            r = Checked(ref reader);
            return r < 0 ? r : (int)count;
        }
    }

    /// <summary>Changes the fields named in <paramref name="attr"/>.Mask; returns the stat afterwards.</summary>
    public int SetAttr(uint fid, in GoferSetAttr attr, out StatBuf stat)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(fid);
            _request.U32((uint)attr.Mask);
            _request.U32(attr.Mode);
            _request.U32(attr.Uid);
            _request.U32(attr.Gid);
            _request.U64(attr.Size);
            _request.I64(attr.AtimeSec);
            _request.I64(attr.AtimeNsec);
            _request.I64(attr.MtimeSec);
            _request.I64(attr.MtimeNsec);
            int r = Call(MessageId.SetAttr);
            stat = default;
            if (r != 0) return r;
            var reader = Body();
            stat = reader.Raw<StatBuf>();
            return Checked(ref reader);
        }
    }

    public int StatFs(uint fid, out GoferStatFs statFs)
    {
        lock (_lock)
        {
            Begin();
            _request.U32(fid);
            int r = Call(MessageId.StatFs);
            statFs = default;
            if (r != 0) return r;
            var reader = Body();
            statFs = reader.Raw<GoferStatFs>();
            return Checked(ref reader);
        }
    }

    public int Close(uint fid) => Close([fid]);

    /// <summary>Releases many fids in one round trip.</summary>
    public int Close(ReadOnlySpan<uint> fids)
    {
        lock (_lock)
        {
            Begin();
            _request.U32((uint)fids.Length);
            foreach (uint f in fids) _request.U32(f);
            return Call(MessageId.Close);
        }
    }

    /// <summary>Closes the socket; later calls return -EIO.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_socket >= 0) Libc.Close(_socket);
            _socket = -1;
            _broken = true;
        }
    }

    // ---- round trip (all under _lock) ----

    private static long s_roundTrips;

    /// <summary>Requests sent to any gofer by this process since it started (the Sentry's gofer-round-trips counter).</summary>
    public static long RoundTrips => Volatile.Read(ref s_roundTrips);

    private void Begin()
    {
        _request.Begin();
        ReleaseFds();
    }

    /// <summary>Sends the request and receives the response. Returns the response errno as -errno (0 = ok), or -EIO if the channel broke.</summary>
    private int Call(MessageId id)
    {
        if (_broken) return -Errno.EIO;
        Interlocked.Increment(ref s_roundTrips);
        if (MessageChannel.SendFrame(_socket, _request.Finish(id)) is var sent and < 0) return Break("sending a request failed: " + Errno.Name(-sent));
        int r = MessageChannel.ReceiveExact(_socket, _response.AsSpan(0, MessageHeader.Size), _fds, ref _fdCount);
        if (r != 0) return Break(r == MessageChannel.EndOfStream ? "the gofer closed its channel" : "receiving a response failed: " + Errno.Name(-r));
        uint length = MessageHeader.PayloadLength(_response);
        if (MessageHeader.Id(_response) != id || length < 4 || length > MessageHeader.MaxResponsePayload) return Break();
        if (_response.Length < MessageHeader.Size + length) Array.Resize(ref _response, MessageHeader.Size + (int)length);
        r = MessageChannel.ReceiveExact(_socket, _response.AsSpan(MessageHeader.Size, (int)length), _fds, ref _fdCount);
        if (r != 0) return Break("the gofer's response was cut short");
        _responseLength = (int)length;
        int errno = BitConverter.ToInt32(_response, MessageHeader.Size);
        if (errno < 0) return Break();
        if (errno != 0)
        {
            ReleaseFds();
            return -errno;
        }
        return 0;
    }

    /// <summary>The response body after the errno.</summary>
    private PayloadReader Body() => new(_response.AsSpan(MessageHeader.Size + 4, _responseLength - 4));

    private int Checked(ref PayloadReader reader) => reader.Failed ? Break() : 0;

    private int FidAndStat(int r, out uint fid, out StatBuf stat)
    {
        fid = 0;
        stat = default;
        if (r != 0) return r;
        var reader = Body();
        fid = reader.U32();
        stat = reader.Raw<StatBuf>();
        return Checked(ref reader);
    }

    private int TakeFd(out int fd)
    {
        fd = -1;
        if (_fdCount != 1) return Break();
        fd = _fds[0];
        _fdCount = 0;
        return 0;
    }

    private void ReleaseFds()
    {
        for (int i = 0; i < _fdCount; i++) Libc.Close(_fds[i]);
        _fdCount = 0;
    }

    private int Break(string why = "the gofer answered a malformed response")
    {
        bool first = !_broken;
        _broken = true;
        if (first && ChannelLost is { } lost) lost(why);
        ReleaseFds();
        // Wake the peer and make the channel unusable; the fd itself is closed by Dispose.
        if (_socket >= 0) Libc.Syscall(48 /* shutdown */, _socket, 2 /* SHUT_RDWR */, 0, 0, 0, 0);
        return -Errno.EIO;
    }
}
