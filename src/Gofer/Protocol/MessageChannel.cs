using Csrunsc.Native;

namespace Csrunsc.Gofer.Protocol;

/// <summary>
/// Moves frames over the SOCK_STREAM socket, with host fds riding along as SCM_RIGHTS on the
/// first chunk of a frame. All results are 0 or -errno; nothing throws.
/// </summary>
public static unsafe class MessageChannel
{
    /// <summary>Result of <see cref="ReceiveExact"/> when the peer closed before the first byte.</summary>
    public const int EndOfStream = 1;

    private const int MaxFdsPerFrame = 4;
    private const int CmsgHeaderSize = 16; // sizeof(struct cmsghdr) on x86-64
    private const int ControlSize = CmsgHeaderSize + MaxFdsPerFrame * sizeof(int);

    /// <summary>Sends all of <paramref name="frame"/>; <paramref name="fd"/> (≥ 0) goes along with the first chunk.</summary>
    public static int SendFrame(int sock, ReadOnlySpan<byte> frame, int fd = -1)
    {
        byte* control = stackalloc byte[CmsgHeaderSize + 8];
        fixed (byte* data = frame)
        {
            int done = 0;
            while (done < frame.Length)
            {
                var iov = new IoVec { Base = data + done, Len = (nuint)(frame.Length - done) };
                var msg = new MsgHdr { Iov = &iov, IovLen = 1 };
                if (fd >= 0 && done == 0)
                {
                    var cmsg = (CmsgHdr*)control;
                    cmsg->Len = (nuint)(CmsgHeaderSize + sizeof(int));
                    cmsg->Level = Libc.SOL_SOCKET;
                    cmsg->Type = Libc.SCM_RIGHTS;
                    *(int*)(control + CmsgHeaderSize) = fd;
                    msg.Control = control;
                    msg.ControlLen = CmsgHeaderSize + 8; // CMSG_SPACE(sizeof(int))
                }
                nint n = Libc.SendMsg(sock, &msg, Libc.MSG_NOSIGNAL);
                if (n < 0)
                {
                    int e = Libc.LastErrno;
                    if (e == Errno.EINTR) continue;
                    return -e;
                }
                done += (int)n;
            }
        }
        return 0;
    }

    /// <summary>
    /// Receives exactly <paramref name="dst"/>.Length bytes. Fds that arrive are stored in
    /// <paramref name="fds"/> (count in <paramref name="fdCount"/>); extra ones are closed.
    /// Returns 0, <see cref="EndOfStream"/> if the peer closed before the first byte, -EPIPE if it
    /// closed mid-way, or -errno.
    /// </summary>
    public static int ReceiveExact(int sock, Span<byte> dst, Span<int> fds, ref int fdCount)
    {
        byte* control = stackalloc byte[ControlSize];
        fixed (byte* data = dst)
        {
            int done = 0;
            while (done < dst.Length)
            {
                var iov = new IoVec { Base = data + done, Len = (nuint)(dst.Length - done) };
                var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = ControlSize };
                nint n = Libc.RecvMsg(sock, &msg, Libc.MSG_CMSG_CLOEXEC);
                if (n < 0)
                {
                    int e = Libc.LastErrno;
                    if (e == Errno.EINTR) continue;
                    return -e;
                }
                if (msg.ControlLen >= CmsgHeaderSize)
                {
                    CollectFds(control, (int)msg.ControlLen, fds, ref fdCount);
                }
                if (n == 0)
                {
                    return done == 0 ? EndOfStream : -Errno.EPIPE;
                }
                done += (int)n;
            }
        }
        return 0;
    }

    private static void CollectFds(byte* control, int length, Span<int> fds, ref int fdCount)
    {
        int off = 0;
        while (off + CmsgHeaderSize <= length)
        {
            var cmsg = (CmsgHdr*)(control + off);
            int len = (int)cmsg->Len;
            if (len < CmsgHeaderSize || off + len > length) break;
            if (cmsg->Level == Libc.SOL_SOCKET && cmsg->Type == Libc.SCM_RIGHTS)
            {
                int n = (len - CmsgHeaderSize) / sizeof(int);
                int* p = (int*)(control + off + CmsgHeaderSize);
                for (int i = 0; i < n; i++)
                {
                    if (fdCount < fds.Length) fds[fdCount++] = p[i];
                    else Libc.Close(p[i]);
                }
            }
            off += (len + 7) & ~7;
        }
    }
}
