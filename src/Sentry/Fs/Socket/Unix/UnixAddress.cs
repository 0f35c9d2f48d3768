using System.Text;
using Csrunsc.Native;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// A bound AF_UNIX name as Linux keeps it (struct unix_address): the sockaddr_un bytes that
/// getsockname, getpeername, accept and recvfrom return. A path name is stored as
/// sun_family + the path + its NUL (offsetof(sun_path) + strlen + 1 bytes); an abstract name
/// (leading NUL) exactly as long as the caller gave it; an autobound one is "\0" + 5 hex digits.
/// </summary>
public sealed class UnixAddress
{
    /// <summary>offsetof(struct sockaddr_un, sun_path).</summary>
    public const int PathOffset = 2;

    /// <summary>sizeof(struct sockaddr_un).</summary>
    public const int MaxLength = 110;

    private UnixAddress(byte[] bytes, string? path)
    {
        Bytes = bytes;
        Path = path;
    }

    /// <summary>The sockaddr_un bytes (family first), at their Linux length.</summary>
    public byte[] Bytes { get; }

    /// <summary>The file-system path (decoded) for a path name; null for an abstract name.</summary>
    public string? Path { get; }

    public bool IsAbstract => Path is null;

    public int Length => Bytes.Length;

    /// <summary>
    /// unix_validate_addr: more than sun_family, at most sizeof(sockaddr_un), family AF_UNIX.
    /// 0 or -EINVAL.
    /// </summary>
    public static int Validate(ReadOnlySpan<byte> raw)
    {
        if (raw.Length <= PathOffset || raw.Length > MaxLength) return -Errno.EINVAL;
        return Family(raw) == SocketFamilies.AF_UNIX ? 0 : -Errno.EINVAL;
    }

    /// <summary>sa_family of a raw address (0 for one shorter than that).</summary>
    public static int Family(ReadOnlySpan<byte> raw) => raw.Length < 2 ? 0 : raw[0] | (raw[1] << 8);

    /// <summary>A name from a validated address: abstract as given, a path up to its first NUL (unix_mkname_bsd).</summary>
    public static UnixAddress FromValidated(ReadOnlySpan<byte> raw)
    {
        var name = raw[PathOffset..];
        if (name[0] == 0) return new UnixAddress(raw.ToArray(), null);
        int nul = name.IndexOf((byte)0);
        var path = nul < 0 ? name : name[..nul];
        var bytes = new byte[PathOffset + path.Length + 1];
        raw[..PathOffset].CopyTo(bytes);
        path.CopyTo(bytes.AsSpan(PathOffset));
        return new UnixAddress(bytes, Encoding.UTF8.GetString(path));
    }

    /// <summary>An autobind name: "\0" followed by five lowercase hex digits of n (unix_autobind).</summary>
    public static UnixAddress Autobind(int n)
    {
        var bytes = new byte[PathOffset + 6];
        bytes[0] = SocketFamilies.AF_UNIX;
        const string hex = "0123456789abcdef";
        for (int i = 0; i < 5; i++) bytes[PathOffset + 1 + i] = (byte)hex[(n >> (4 * (4 - i))) & 0xF];
        return new UnixAddress(bytes, null);
    }

    /// <summary>The address of an unnamed socket as getsockname reports it: sun_family only.</summary>
    public static int WriteUnnamed(Span<byte> into)
    {
        if (into.Length >= 2)
        {
            into[0] = SocketFamilies.AF_UNIX;
            into[1] = 0;
        }
        return PathOffset;
    }

    /// <summary>Copies the address into a caller's buffer (as much as fits); returns its real length.</summary>
    public int WriteTo(Span<byte> into)
    {
        int n = Math.Min(into.Length, Bytes.Length);
        Bytes.AsSpan(0, n).CopyTo(into);
        return Bytes.Length;
    }

    /// <summary>The Path column of /proc/net/unix: the path, or '@' and the abstract name with NULs shown as '@'.</summary>
    public void AppendProcPath(List<byte> into)
    {
        int len = Bytes.Length - PathOffset;
        int i = 0;
        if (Path is not null)
        {
            len--; // the NUL
        }
        else
        {
            into.Add((byte)'@');
            i = 1;
        }
        for (; i < len; i++)
        {
            byte b = Bytes[PathOffset + i];
            into.Add(b == 0 ? (byte)'@' : b);
        }
    }

    /// <summary>Equality of the name bytes (abstract names are looked up by bytes and length).</summary>
    public bool SameBytes(ReadOnlySpan<byte> other) => Bytes.AsSpan().SequenceEqual(other);
}
