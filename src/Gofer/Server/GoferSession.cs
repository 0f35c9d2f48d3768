using Csrunsc.Gofer.Protocol;
using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>
/// Serves one client connection: a single-threaded loop that reads a frame, dispatches it through
/// a handler table indexed by <see cref="MessageId"/>, and writes the response (errno first, then
/// the body, plus at most one donated host fd). Handlers return 0 or a positive errno.
/// </summary>
internal sealed unsafe partial class GoferSession
{
    private delegate int Handler(GoferSession session, ref PayloadReader request, ref int donatedFd);

    private static readonly Handler?[] Handlers = BuildHandlers();

    private static readonly byte[] Dot = [(byte)'.', 0];
    private static readonly byte[] Empty = [0];

    private readonly int _sock;
    private readonly GoferRoots _roots;
    private readonly FidTable _fids = new();
    private readonly byte[] _request = new byte[MessageHeader.Size + MessageHeader.MaxRequestPayload];
    private readonly PayloadWriter _response = new(64 * 1024 + 256);
    private readonly byte[] _scratch = new byte[64 * 1024];

    public GoferSession(int sock, GoferRoots roots)
    {
        _sock = sock;
        _roots = roots;
    }

    internal FidTable Fids => _fids;

    private static Handler?[] BuildHandlers()
    {
        var table = new Handler?[(int)MessageId.Close + 1];
        table[(int)MessageId.Attach] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Attach(ref r);
        table[(int)MessageId.Walk] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Walk(ref r);
        table[(int)MessageId.Stat] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Stat(ref r);
        table[(int)MessageId.Open] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Open(ref r, ref fd);
        table[(int)MessageId.Create] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Create(ref r, ref fd);
        table[(int)MessageId.Mkdir] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Mkdir(ref r);
        table[(int)MessageId.Mknod] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Mknod(ref r);
        table[(int)MessageId.Symlink] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Symlink(ref r);
        table[(int)MessageId.Link] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Link(ref r);
        table[(int)MessageId.Unlink] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Unlink(ref r);
        table[(int)MessageId.Rename] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Rename(ref r);
        table[(int)MessageId.Readlink] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.Readlink(ref r);
        table[(int)MessageId.ReadDir] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.ReadDir(ref r);
        table[(int)MessageId.SetAttr] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.SetAttr(ref r);
        table[(int)MessageId.StatFs] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.StatFs(ref r);
        table[(int)MessageId.Close] = static (GoferSession s, ref PayloadReader r, ref int fd) => s.CloseFids(ref r);
        return table;
    }

    /// <summary>Serves until the peer closes (0) or the channel fails (-errno). Closes every fid at the end.</summary>
    public int Run()
    {
        try
        {
            Span<int> strayFds = stackalloc int[4];
            while (true)
            {
                int strays = 0;
                int r = MessageChannel.ReceiveExact(_sock, _request.AsSpan(0, MessageHeader.Size), strayFds, ref strays);
                if (r == MessageChannel.EndOfStream) return 0;
                if (r < 0) return r;
                uint length = MessageHeader.PayloadLength(_request);
                var id = MessageHeader.Id(_request);
                if (length > MessageHeader.MaxRequestPayload) return -Errno.EMSGSIZE;
                r = MessageChannel.ReceiveExact(_sock, _request.AsSpan(MessageHeader.Size, (int)length), strayFds, ref strays);
                if (r != 0) return r < 0 ? r : -Errno.EPIPE;
                for (int i = 0; i < strays; i++) Libc.Close(strayFds[i]); // the client never sends fds

                int donated = -1;
                _response.Begin();
                _response.I32(0);
                var request = new PayloadReader(_request.AsSpan(MessageHeader.Size, (int)length));
                var handler = (ushort)id < Handlers.Length ? Handlers[(ushort)id] : null;
                int err = handler is null ? Errno.ENOSYS : handler(this, ref request, ref donated);
                if (err == 0 && request.Failed) err = Errno.EINVAL;
                if (err != 0)
                {
                    if (donated >= 0) Libc.Close(donated);
                    donated = -1;
                    _response.Begin();
                    _response.I32(err);
                }
                r = MessageChannel.SendFrame(_sock, _response.Finish(id), donated);
                if (donated >= 0) Libc.Close(donated);
                if (r < 0) return r == -Errno.EPIPE || r == -Errno.ECONNRESET ? 0 : r;
            }
        }
        finally
        {
            _fids.Clear();
        }
    }

    // ---- helpers shared by the handlers ----

    private FidEntry? Fid(uint fid) => _fids.Get(fid);

    private bool IsReadOnly(FidEntry e) => _roots.Points[e.Attach].ReadOnly;

    /// <summary>The (directory fd, NUL-terminated name) pair that reopens a fid's file without following symlinks.</summary>
    private void ReopenAt(FidEntry e, out int dirFd, out byte[] name)
    {
        if (e.IsDirectory)
        {
            dirFd = e.Fd;
            name = Dot;
        }
        else if (e.Parent >= 0)
        {
            dirFd = _fids.Slot(e.Parent)!.Fd;
            name = e.Name!;
        }
        else
        {
            var point = _roots.Points[e.Attach];
            dirFd = point.ParentFd;
            name = point.Name!;
        }
    }

    /// <summary>openat through <see cref="ReopenAt"/>, checking the result is still the fid's file. fd or -errno.</summary>
    private static int OpenChecked(int dirFd, byte[] name, int flags, FidEntry e)
    {
        int fd;
        fixed (byte* n = name)
        {
            do { fd = BeneathOpen.At(dirFd, n, flags | Libc.O_CLOEXEC | Libc.O_NOCTTY); }
            while (fd < 0 && Libc.LastErrno == Errno.EINTR);
        }
        if (fd < 0) return -Libc.LastErrno;
        StatBuf st;
        if (Libc.FStat(fd, &st) < 0 || st.Ino != e.Ino || st.Dev != e.Dev)
        {
            Libc.Close(fd);
            return -GoferErrno.ESTALE;
        }
        return fd;
    }

    /// <summary>Opens <paramref name="nameZ"/> under directory fid <paramref name="parentSlot"/> as a new fid; writes fid + stat.</summary>
    private int AddChild(int parentSlot, byte[] nameZ, int attach, int extraFlags = 0)
    {
        int dirFd = _fids.Slot(parentSlot)!.Fd;
        int fd;
        fixed (byte* n = nameZ) fd = BeneathOpen.At(dirFd, n, Libc.O_PATH | Libc.O_CLOEXEC | extraFlags);
        if (fd < 0) return Libc.LastErrno;
        return AddFid(fd, parentSlot, nameZ, attach);
    }

    /// <summary>Registers an O_PATH fd as a new fid and writes fid + stat to the response. Closes fd on failure.</summary>
    private int AddFid(int fd, int parentSlot, byte[]? nameZ, int attach)
    {
        StatBuf st;
        if (Libc.FStat(fd, &st) < 0)
        {
            int e = Libc.LastErrno;
            Libc.Close(fd);
            return e;
        }
        var entry = new FidEntry { Fd = fd, Parent = parentSlot, Name = nameZ, Attach = attach };
        entry.SetIdentity(st);
        uint fid = _fids.Add(entry);
        _response.U32(fid);
        _response.Raw(in st);
        return 0;
    }

    /// <summary>Reads a component name; 0 and the name, or an errno.</summary>
    private static int ReadName(ref PayloadReader r, out ReadOnlySpan<byte> name)
    {
        name = r.StringBytes();
        return r.Failed ? Errno.EINVAL : ComponentName.Check(name);
    }

    /// <summary>Looks up a directory fid; 0 or EBADF/ENOTDIR.</summary>
    private int DirFid(uint fid, out FidEntry dir)
    {
        dir = Fid(fid)!;
        if (dir is null) return Errno.EBADF;
        return dir.IsDirectory ? 0 : Errno.ENOTDIR;
    }

    /// <summary>Applies a requested owner to a just-created file; -1 (0xFFFFFFFF) keeps the current one.</summary>
    private static int ChownNew(int pathFd, uint uid, uint gid)
    {
        if (uid == uint.MaxValue && gid == uint.MaxValue) return 0;
        fixed (byte* empty = Empty)
        {
            return Libc.FChownAt(pathFd, empty, (int)uid, (int)gid, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW) < 0 ? Libc.LastErrno : 0;
        }
    }
}
