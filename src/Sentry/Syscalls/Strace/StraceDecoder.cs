using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using A = Csrunsc.Sentry.Syscalls.Strace.StraceArg;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Strace;

/// <summary>
/// Turns one argument into strace's text. Runs only with --strace on, on the task's own thread
/// (its memory cannot change under it except by its own other threads, as under strace).
/// </summary>
public static class StraceDecoder
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>strace's default -s: strings and buffers print at most this many bytes.</summary>
    public const int MaxString = 32;

    public static bool IsOutput(A kind) => kind is A.OutBuf or A.SigSetOut or A.SigActionOut or A.StatOut or A.TimespecOut
        or A.SockaddrOut or A.SockLenOut or A.IovecOut or A.WaitStatusOut or A.FdPairOut or A.DirentsOut or A.IntOut;

    /// <summary>Argument i's text, or null when strace leaves it out (open's mode without O_CREAT, fcntl's unused arg).</summary>
    public static string? Format(Task t, A kind, int i, ulong[] a, long ret)
    {
        ulong v = a[i];
        ulong next = i + 1 < a.Length ? a[i + 1] : 0;
        ulong prev = i > 0 ? a[i - 1] : 0;
        bool failed = ret < 0 && ret > -4096;
        if (IsOutput(kind) && failed && kind != A.TimespecOut) return Ptr(v);
        switch (kind)
        {
            case A.Hex: return "0x" + v.ToString("x", Inv);
            case A.Int: return ((long)v).ToString(Inv);
            case A.UInt: return v.ToString(Inv);
            case A.Fd: return ((int)v).ToString(Inv);
            case A.DirFd: return (int)v == -100 ? "AT_FDCWD" : ((int)v).ToString(Inv);
            case A.Ptr: return Ptr(v);
            case A.Path: return CString(t, v, 4096, whole: true);
            case A.Str: return CString(t, v, MaxString + 1, whole: false);
            case A.InBuf: return Buffer(t, v, (long)Math.Min(next, int.MaxValue));
            case A.OutBuf: return Buffer(t, v, ret);
            case A.OpenFlags: return StraceFlags.Open(v);
            case A.OpenMode: return (prev & 0x410040) != 0 ? StraceFlags.Octal(v & 0xfff) : null;
            case A.Mode: return StraceFlags.Octal(v & 0xfff);
            case A.MmapProt: return StraceFlags.Prot(v);
            case A.MmapFlags: return StraceFlags.Mmap(v);
            case A.CloneFlags: return StraceFlags.Clone(v);
            case A.SockDomain: return StraceFlags.SocketDomain(v);
            case A.SockType: return StraceFlags.SocketType(v);
            case A.Signal: return StraceFlags.Signal((int)v);
            case A.SigSetIn:
            case A.SigSetOut:
                if (v == 0) return "NULL";
                return t.ReadStruct(v, out ulong set) < 0 ? Ptr(v) : StraceFlags.SigSet(set);
            case A.SigActionIn:
            case A.SigActionOut: return SigAction(t, v);
            case A.SigHow: return StraceFlags.SigprocmaskHow(v);
            case A.FcntlCmd: return StraceFlags.Fcntl(v);
            case A.FcntlArg: return FcntlArg(prev, v);
            case A.StatOut: return Stat(t, v);
            case A.TimespecIn:
            case A.TimespecOut: return Timespec(t, v);
            case A.SockaddrIn: return Sockaddr(t, v, (int)Math.Min(next, 128));
            case A.SockaddrOut:
                if (v == 0) return "NULL";
                return t.ReadStruct(next, out int outLen) < 0 ? Ptr(v) : Sockaddr(t, v, Math.Min(outLen, 128));
            case A.SockLenOut:
            case A.IntOut:
                if (v == 0) return "NULL";
                return t.ReadStruct(v, out int n) < 0 ? Ptr(v) : "[" + n.ToString(Inv) + "]";
            case A.IovecIn: return Iovecs(t, v, (int)next, long.MaxValue);
            case A.IovecOut: return Iovecs(t, v, (int)next, ret);
            case A.Whence: return StraceFlags.Whence(v);
            case A.AccessMode: return StraceFlags.Access(v);
            case A.AtFlags: return StraceFlags.Bits(v, StraceFlags.AtBits, zero: "0");
            case A.WaitOptions: return StraceFlags.Bits(v, StraceFlags.WaitBits, zero: "0");
            case A.WaitStatusOut: return WaitStatus(t, v);
            case A.FutexOp: return StraceFlags.Futex(v);
            case A.PrctlOption: return StraceFlags.Prctl(v);
            case A.ArchPrctlCode: return StraceFlags.ArchPrctl(v);
            case A.IoctlRequest: return StraceFlags.Ioctl(v);
            case A.Argv: return Argv(t, v);
            case A.Envp: return Envp(t, v);
            case A.PollFds: return PollFds(t, v, (int)Math.Min(next, 64));
            case A.EpollOp: return StraceFlags.EpollCtl(v);
            case A.EpollEventIn: return EpollEvent(t, v);
            case A.ClockId: return StraceFlags.ClockId(v);
            case A.MsgFlags: return StraceFlags.Bits(v, StraceFlags.MsgBits, zero: "0");
            case A.SockLevel: return StraceFlags.SockLevel(v);
            case A.FdPairOut:
            {
                Span<int> fds = stackalloc int[2];
                if (t.CopyIn(v, System.Runtime.InteropServices.MemoryMarshal.AsBytes(fds)) < 0) return Ptr(v);
                return "[" + fds[0].ToString(Inv) + ", " + fds[1].ToString(Inv) + "]";
            }
            case A.CloexecFlags: return StraceFlags.Bits(v, StraceFlags.CloexecNonblock, zero: "0");
            case A.RlimitResource: return StraceFlags.Rlimit(v);
            case A.DirentsOut: return Dirents(t, v, ret);
            default: return "0x" + v.ToString("x", Inv);
        }
    }

    /// <summary>The result as strace prints it after " = ".</summary>
    public static string Result(long nr, long ret, ulong[] a, bool hex)
    {
        if (ret < 0 && ret > -4096) return StraceErrno.Result((int)-ret);
        if (hex) return "0x" + ((ulong)ret).ToString("x", Inv);
        if (nr == 72)
        {
            if (a[1] == 1 && ret != 0) return "0x" + ret.ToString("x", Inv) + " (flags FD_CLOEXEC)";
            if (a[1] == 3) return "0x" + ret.ToString("x", Inv) + " (flags " + StraceFlags.Open((ulong)ret) + ")";
        }
        return ret.ToString(Inv);
    }

    public static string Ptr(ulong v) => v == 0 ? "NULL" : "0x" + v.ToString("x", Inv);

    private static string? FcntlArg(ulong cmd, ulong v) => cmd switch
    {
        1 or 3 or 9 or 11 or 1025 or 1032 or 1034 => null,
        2 => (v & 1) != 0 ? (v == 1 ? "FD_CLOEXEC" : "FD_CLOEXEC|0x" + (v & ~1UL).ToString("x", Inv)) : v.ToString(Inv),
        4 => StraceFlags.Bits(v, StraceFlags.OpenBits, zero: "0"),
        0 or 1030 or 8 or 10 or 1031 => ((long)v).ToString(Inv),
        _ => Ptr(v),
    };

    /// <summary>A NUL-terminated string: whole for paths, else cut at MaxString with "..." after the quote.</summary>
    private static string CString(Task t, ulong addr, int max, bool whole)
    {
        if (addr == 0) return "NULL";
        Span<byte> buf = stackalloc byte[4096];
        int len = 0;
        bool terminated = false;
        while (len < max)
        {
            if (!t.Mm.TryGetSpan(addr + (ulong)len, max - len, false, out var src)) break;
            int z = src.IndexOf((byte)0);
            if (z >= 0)
            {
                src[..z].CopyTo(buf[len..]);
                len += z;
                terminated = true;
                break;
            }
            src.CopyTo(buf[len..]);
            len += src.Length;
        }
        if (len == 0 && !terminated) return Ptr(addr);
        if (whole || len <= MaxString) return Quote(buf[..len]) + (terminated ? "" : "...");
        return Quote(buf[..MaxString]) + "...";
    }

    /// <summary>length bytes at addr, at most MaxString of them shown.</summary>
    private static string Buffer(Task t, ulong addr, long length)
    {
        if (length <= 0) return length == 0 ? "\"\"" : Ptr(addr);
        int show = (int)Math.Min(length, MaxString);
        Span<byte> buf = stackalloc byte[MaxString];
        if (t.CopyIn(addr, buf[..show]) < 0) return Ptr(addr);
        return Quote(buf[..show]) + (length > show ? "..." : "");
    }

    /// <summary>strace's quoting: C escapes, other non-printables in octal (3 digits when a digit follows).</summary>
    public static string Quote(ReadOnlySpan<byte> s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            byte c = s[i];
            switch (c)
            {
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case 0x0b: sb.Append("\\v"); break;
                case 0x0c: sb.Append("\\f"); break;
                default:
                    if (c >= 0x20 && c < 0x7f) sb.Append((char)c);
                    else
                    {
                        bool digitNext = i + 1 < s.Length && s[i + 1] >= (byte)'0' && s[i + 1] <= (byte)'7';
                        string o = Convert.ToString(c, 8);
                        sb.Append('\\').Append(digitNext ? o.PadLeft(3, '0') : o);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    private static string Stat(Task t, ulong addr)
    {
        Span<byte> st = stackalloc byte[144];
        if (addr == 0) return "NULL";
        if (t.CopyIn(addr, st) < 0) return Ptr(addr);
        uint mode = BinaryPrimitives.ReadUInt32LittleEndian(st[24..]);
        ulong rdev = BinaryPrimitives.ReadUInt64LittleEndian(st[40..]);
        long size = BinaryPrimitives.ReadInt64LittleEndian(st[48..]);
        string body = (mode & 0xf000) is 0x2000 or 0x6000
            ? $"st_rdev=makedev(0x{((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffUL):x}, 0x{(rdev & 0xff) | ((rdev >> 12) & ~0xffUL):x})"
            : "st_size=" + size.ToString(Inv);
        return "{st_mode=" + StraceFlags.FileMode(mode) + ", " + body + ", ...}";
    }

    private static string Timespec(Task t, ulong addr)
    {
        if (addr == 0) return "NULL";
        Span<long> ts = stackalloc long[2];
        if (t.CopyIn(addr, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ts)) < 0) return Ptr(addr);
        return "{tv_sec=" + ts[0].ToString(Inv) + ", tv_nsec=" + ts[1].ToString(Inv) + "}";
    }

    private static string SigAction(Task t, ulong addr)
    {
        if (addr == 0) return "NULL";
        Span<ulong> sa = stackalloc ulong[4];
        if (t.CopyIn(addr, System.Runtime.InteropServices.MemoryMarshal.AsBytes(sa)) < 0) return Ptr(addr);
        string handler = sa[0] switch { 0 => "SIG_DFL", 1 => "SIG_IGN", _ => "0x" + sa[0].ToString("x", Inv) };
        string s = "{sa_handler=" + handler + ", sa_mask=" + StraceFlags.SigSet(sa[3]) + ", sa_flags=" + StraceFlags.Bits(sa[1], StraceFlags.SaBits, zero: "0");
        if ((sa[1] & 0x04000000) != 0) s += ", sa_restorer=" + Ptr(sa[2]);
        return s + "}";
    }

    private static string Sockaddr(Task t, ulong addr, int len)
    {
        if (addr == 0) return "NULL";
        if (len < 2) return Ptr(addr);
        Span<byte> sa = stackalloc byte[128];
        sa = sa[..len];
        if (t.CopyIn(addr, sa) < 0) return Ptr(addr);
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(sa);
        string f = "{sa_family=" + StraceFlags.SocketDomain(family);
        switch (family)
        {
            case 1:
            {
                var path = sa[2..];
                if (path.Length == 0) return f + "}";
                if (path[0] == 0) return f + ", sun_path=@" + Quote(path[1..]) + "}";
                int z = path.IndexOf((byte)0);
                return f + ", sun_path=" + Quote(z >= 0 ? path[..z] : path) + "}";
            }
            case 2 when len >= 8:
                return f + ", sin_port=htons(" + BinaryPrimitives.ReadUInt16BigEndian(sa[2..]).ToString(Inv) + "), sin_addr=inet_addr(\""
                    + sa[4] + "." + sa[5] + "." + sa[6] + "." + sa[7] + "\")}";
            case 10 when len >= 24:
                return f + ", sin6_port=htons(" + BinaryPrimitives.ReadUInt16BigEndian(sa[2..]).ToString(Inv) + "), sin6_flowinfo=htonl("
                    + BinaryPrimitives.ReadUInt32BigEndian(sa[4..]).ToString(Inv) + "), inet_pton(AF_INET6, \""
                    + new System.Net.IPAddress(sa.Slice(8, 16)).ToString() + "\", &sin6_addr), sin6_scope_id="
                    + (len >= 28 ? BinaryPrimitives.ReadUInt32LittleEndian(sa[24..]).ToString(Inv) : "0") + "}";
            case 16 when len >= 12:
                return f + ", nl_pid=" + BinaryPrimitives.ReadUInt32LittleEndian(sa[4..]).ToString(Inv) + ", nl_groups="
                    + BinaryPrimitives.ReadUInt32LittleEndian(sa[8..]).ToString("x8", Inv) + "}";
            default:
                return f + ", sa_data=" + Quote(sa[2..]) + "}";
        }
    }

    /// <summary>[{iov_base="...", iov_len=N}, ...]; for a read only the first total bytes have data.</summary>
    private static string Iovecs(Task t, ulong addr, int count, long total)
    {
        if (count <= 0 || count > 1024) return Ptr(addr);
        var sb = new StringBuilder("[");
        Span<ulong> iov = stackalloc ulong[2];
        for (int i = 0; i < count; i++)
        {
            if (i == 32)
            {
                sb.Append(", ...");
                break;
            }
            if (t.CopyIn(addr + (ulong)(16 * i), System.Runtime.InteropServices.MemoryMarshal.AsBytes(iov)) < 0) return Ptr(addr);
            long shown = (long)Math.Min(iov[1], (ulong)Math.Max(total, 0));
            if (i > 0) sb.Append(", ");
            sb.Append("{iov_base=").Append(Buffer(t, iov[0], shown)).Append(", iov_len=").Append(iov[1].ToString(Inv)).Append('}');
            if (total != long.MaxValue) total -= shown;
        }
        return sb.Append(']').ToString();
    }

    private static string WaitStatus(Task t, ulong addr)
    {
        if (addr == 0) return "NULL";
        if (t.ReadStruct(addr, out int s) < 0) return Ptr(addr);
        if ((s & 0x7f) == 0) return "[{WIFEXITED(s) && WEXITSTATUS(s) == " + ((s >> 8) & 0xff).ToString(Inv) + "}]";
        if ((s & 0xff) == 0x7f) return "[{WIFSTOPPED(s) && WSTOPSIG(s) == " + StraceFlags.Signal((s >> 8) & 0xff) + "}]";
        return "[{WIFSIGNALED(s) && WTERMSIG(s) == " + StraceFlags.Signal(s & 0x7f) + ((s & 0x80) != 0 ? " && WCOREDUMP(s)" : "") + "}]";
    }

    private static string Argv(Task t, ulong addr)
    {
        if (addr == 0) return "NULL";
        var sb = new StringBuilder("[");
        for (int i = 0; ; i++)
        {
            if (t.ReadStruct(addr + (ulong)(8 * i), out ulong p) < 0) return Ptr(addr);
            if (p == 0) break;
            if (i == 32)
            {
                sb.Append(", ...");
                break;
            }
            if (i > 0) sb.Append(", ");
            sb.Append(CString(t, p, MaxString + 1, whole: false));
        }
        return sb.Append(']').ToString();
    }

    private static string Envp(Task t, ulong addr)
    {
        if (addr == 0) return "NULL";
        int n = 0;
        while (n < 4096 && t.ReadStruct(addr + (ulong)(8 * n), out ulong p) == 0 && p != 0) n++;
        return Ptr(addr) + " /* " + n.ToString(Inv) + (n == 1 ? " var */" : " vars */");
    }

    private static string PollFds(Task t, ulong addr, int n)
    {
        if (addr == 0) return "NULL";
        var sb = new StringBuilder("[");
        for (int i = 0; i < n; i++)
        {
            if (t.ReadStruct(addr + (ulong)(8 * i), out ulong pfd) < 0) return Ptr(addr);
            if (i > 0) sb.Append(", ");
            sb.Append("{fd=").Append(((int)pfd).ToString(Inv)).Append(", events=")
              .Append(StraceFlags.Bits((pfd >> 32) & 0xffff, StraceFlags.PollBits, zero: "0")).Append('}');
        }
        return sb.Append(']').ToString();
    }

    private static string EpollEvent(Task t, ulong addr)
    {
        if (addr == 0) return "NULL";
        Span<byte> ev = stackalloc byte[12];
        if (t.CopyIn(addr, ev) < 0) return Ptr(addr);
        uint events = BinaryPrimitives.ReadUInt32LittleEndian(ev);
        ulong data = BinaryPrimitives.ReadUInt64LittleEndian(ev[4..]);
        return "{events=" + StraceFlags.Bits(events, StraceFlags.EpollBits, zero: "0") + ", data={u32=" + ((uint)data).ToString(Inv)
            + ", u64=" + data.ToString(Inv) + "}}";
    }

    private static string Dirents(Task t, ulong addr, long ret)
    {
        int entries = 0;
        long off = 0;
        while (off + 19 <= ret && entries < 100000)
        {
            if (t.ReadStruct(addr + (ulong)off + 16, out ushort reclen) < 0 || reclen == 0) break;
            entries++;
            off += reclen;
        }
        return Ptr(addr) + " /* " + entries.ToString(Inv) + (entries == 1 ? " entry */" : " entries */");
    }
}
