using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// What a sendmsg's control messages ask for (Linux's scm_cookie): the descriptions named by
/// SCM_RIGHTS, each with a reference held, and credentials given by SCM_CREDENTIALS.
/// </summary>
internal struct UnixScm
{
    public FileDescription[]? Rights;
    public UnixCredentials Creds;
    public bool HasCreds;

    /// <summary>Drops the references of rights that were not handed on (scm_destroy).</summary>
    public void Destroy()
    {
        var rights = Rights;
        Rights = null;
        if (rights is null) return;
        foreach (var f in rights) f.DecRef();
    }
}

/// <summary>
/// Control messages of AF_UNIX: parsing a sendmsg's cmsg buffer (__scm_send) and writing a
/// recvmsg's (put_cmsg, scm_detach_fds), with Linux's validation, limits and truncation rules.
/// </summary>
internal static class UnixControl
{
    public const int SOL_SOCKET = 1, SCM_RIGHTS = 1, SCM_CREDENTIALS = 2, SCM_TIMESTAMP = 29, SCM_TIMESTAMPNS = 35;

    /// <summary>SCM_MAX_FD: descriptors one message may carry.</summary>
    public const int MaxFds = 253;

    /// <summary>sizeof(struct cmsghdr): cmsg_len (size_t), cmsg_level, cmsg_type.</summary>
    public const int HeaderSize = 16;

    public static int Align(int len) => (len + 7) & ~7;

    public static int Space(int dataLen) => HeaderSize + Align(dataLen);

    /// <summary>
    /// Parses the raw cmsgs of one sendmsg into scm (references taken on every SCM_RIGHTS
    /// description). Non-SOL_SOCKET messages are skipped, as Linux does. 0 or -errno
    /// (EINVAL malformed or too many fds, EBADF, EPERM for credentials one may not claim, ESRCH).
    /// </summary>
    public static int Parse(Task t, ReadOnlySpan<byte> control, ref UnixScm scm)
    {
        int r = ParseAll(t, control, ref scm);
        if (r < 0) scm.Destroy();
        return r;
    }

    private static int ParseAll(Task t, ReadOnlySpan<byte> control, ref UnixScm scm)
    {
        int offset = 0;
        List<FileDescription>? rights = null;
        try
        {
            while (control.Length - offset >= HeaderSize)
            {
                ulong cmsgLen = BinaryPrimitives.ReadUInt64LittleEndian(control[offset..]);
                int level = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 8)..]);
                int type = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 12)..]);
                // CMSG_OK: at least a header, and inside the buffer.
                if (cmsgLen < HeaderSize || cmsgLen > (ulong)(control.Length - offset)) return -Errno.EINVAL;
                int len = (int)cmsgLen;
                var data = control.Slice(offset + HeaderSize, len - HeaderSize);
                if (level == SOL_SOCKET)
                {
                    switch (type)
                    {
                        case SCM_RIGHTS:
                        {
                            int num = data.Length / 4;
                            if (num <= 0) break;
                            if (num > MaxFds || (rights?.Count ?? 0) + num > MaxFds) return -Errno.EINVAL;
                            rights ??= new List<FileDescription>(num);
                            for (int i = 0; i < num; i++)
                            {
                                int fd = BinaryPrimitives.ReadInt32LittleEndian(data[(i * 4)..]);
                                var f = fd < 0 ? null : t.Fds.GetRef(fd);
                                if (f is null) return -Errno.EBADF;
                                rights.Add(f);
                            }
                            break;
                        }
                        case SCM_CREDENTIALS:
                        {
                            if (len != HeaderSize + UnixCredentials.Size) return -Errno.EINVAL;
                            int r = CheckCredentials(t, data, out var creds);
                            if (r < 0) return r;
                            scm.Creds = creds;
                            scm.HasCreds = true;
                            break;
                        }
                        default:
                            return -Errno.EINVAL;
                    }
                }
                // CMSG_NXTHDR: the next header must fit whole.
                long next = (long)offset + Align(len);
                if (next + HeaderSize > control.Length) break;
                offset = (int)next;
            }
            if (rights is { Count: > 0 })
            {
                scm.Rights = rights.ToArray();
                rights = null;
            }
            return 0;
        }
        finally
        {
            // On an error the references taken so far are dropped.
            if (rights is not null)
            {
                foreach (var f in rights) f.DecRef();
            }
        }
    }

    /// <summary>scm_check_creds: one's own pid and one of one's ids, unless privileged (CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID).</summary>
    private static int CheckCredentials(Task t, ReadOnlySpan<byte> data, out UnixCredentials creds)
    {
        int pid = BinaryPrimitives.ReadInt32LittleEndian(data);
        uint uid = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        uint gid = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        creds = new UnixCredentials(pid, uid, gid);
        if (uid == UnixCredentials.Invalid || gid == UnixCredentials.Invalid) return -Errno.EINVAL;
        var c = t.ThreadGroup.Creds;
        bool pidOk = pid == t.ThreadGroup.Tgid || Capabilities.Has(t, Capabilities.SYS_ADMIN);
        bool uidOk = uid == c.Uid || uid == c.Euid || uid == c.Suid || Capabilities.Has(t, Capabilities.SETUID);
        bool gidOk = gid == c.Gid || gid == c.Egid || gid == c.Sgid || Capabilities.Has(t, Capabilities.SETGID);
        if (!pidOk || !uidOk || !gidOk) return -Errno.EPERM;
        // A privileged sender may name another process, but it must exist.
        if (pid != t.ThreadGroup.Tgid && t.Kernel.Pids.GroupById(pid) is null && t.Kernel.Pids.TaskById(pid) is null) return -Errno.ESRCH;
        return 0;
    }
}

/// <summary>
/// Writes a recvmsg's control messages into the caller's buffer as Linux's put_cmsg and
/// scm_detach_fds do: a message that does not fit is truncated (MSG_CTRUNC), descriptors that do
/// not fit are closed, installed descriptors get close-on-exec with MSG_CMSG_CLOEXEC.
/// </summary>
internal ref struct UnixControlWriter
{
    private readonly Span<byte> _buffer;
    private int _used;

    public UnixControlWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _used = 0;
        Flags = 0;
    }

    /// <summary>Bytes written (the msg_controllen recvmsg reports).</summary>
    public readonly int Length => _used;

    /// <summary>MSG_CTRUNC when something did not fit.</summary>
    public int Flags { get; private set; }

    private readonly int Left => _buffer.Length - _used;

    /// <summary>Something was to be delivered but the caller gave no control buffer.</summary>
    public void MarkTruncated() => Flags |= SocketFile.MSG_CTRUNC;

    /// <summary>put_cmsg: one control message, cut to what is left of the buffer.</summary>
    public void Put(int level, int type, scoped ReadOnlySpan<byte> data)
    {
        if (Left < UnixControl.HeaderSize)
        {
            Flags |= SocketFile.MSG_CTRUNC;
            return;
        }
        int cmlen = UnixControl.HeaderSize + data.Length;
        if (Left < cmlen)
        {
            Flags |= SocketFile.MSG_CTRUNC;
            cmlen = Left;
        }
        var at = _buffer[_used..];
        BinaryPrimitives.WriteUInt64LittleEndian(at, (ulong)cmlen);
        BinaryPrimitives.WriteInt32LittleEndian(at[8..], level);
        BinaryPrimitives.WriteInt32LittleEndian(at[12..], type);
        data[..(cmlen - UnixControl.HeaderSize)].CopyTo(at[UnixControl.HeaderSize..]);
        _used += Math.Min(UnixControl.Space(data.Length), Left);
    }

    /// <summary>
    /// scm_detach_fds: installs as many of files as fit (taking over their references), closes
    /// the rest; MSG_CTRUNC when any was left out.
    /// </summary>
    public void PutRights(Task t, FileDescription[] files, bool cloexec)
    {
        int fdmax = Left > UnixControl.HeaderSize ? (Left - UnixControl.HeaderSize) / 4 : 0;
        int room = Math.Min(fdmax, files.Length);
        int written = 0;
        var at = _buffer[_used..];
        for (int i = 0; i < files.Length; i++)
        {
            if (written >= room)
            {
                files[i].DecRef();
                continue;
            }
            // Add takes over the reference; on EMFILE it drops it and nothing more is installed.
            int fd = t.Fds.Add(files[i], cloexec);
            if (fd < 0)
            {
                room = written;
                continue;
            }
            BinaryPrimitives.WriteInt32LittleEndian(at[(UnixControl.HeaderSize + written * 4)..], fd);
            written++;
        }
        if (written > 0)
        {
            int cmlen = UnixControl.HeaderSize + written * 4;
            BinaryPrimitives.WriteUInt64LittleEndian(at, (ulong)cmlen);
            BinaryPrimitives.WriteInt32LittleEndian(at[8..], UnixControl.SOL_SOCKET);
            BinaryPrimitives.WriteInt32LittleEndian(at[12..], UnixControl.SCM_RIGHTS);
            _used += Math.Min(UnixControl.Space(written * 4), Left);
        }
        if (written < files.Length || (files.Length > 0 && fdmax <= 0)) Flags |= SocketFile.MSG_CTRUNC;
    }
}
