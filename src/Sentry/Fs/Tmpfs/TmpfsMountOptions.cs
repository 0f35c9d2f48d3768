using System.Globalization;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>An option of a tmpfs mount that Linux would refuse (mount(2) answers EINVAL) or that is not implemented.</summary>
public sealed class TmpfsOptionException(string message) : Exception(message);

/// <summary>
/// A tmpfs mount's options from config.json (Linux's shmem_parse_one): mode=, uid=, gid=, size=
/// (bytes with k/m/g/t suffix or a % of memory), nr_blocks=, nr_inodes= are honoured; the
/// generic mount flags (nosuid, nodev, strictatime, propagation, ...) belong to the mount, not
/// the filesystem, and pass; anything else is refused rather than ignored.
/// </summary>
public sealed class TmpfsMountOptions
{
    private static readonly HashSet<string> s_mountFlags = new(StringComparer.Ordinal)
    {
        "defaults", "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async", "dirsync",
        "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime",
        "strictatime", "nostrictatime", "lazytime", "nolazytime", "silent", "loud", "iversion", "noiversion",
        "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
        "tmpcopyup", // runc's own annotation for tmpfs mounts (copy up the image's contents): handled by runc, not the kernel
        "inode64",   // inode numbers are 64-bit here anyway
        "huge=never",
    };

    /// <summary>Permission bits of the root directory.</summary>
    public uint Mode { get; private set; }

    public uint Uid { get; private set; }
    public uint Gid { get; private set; }

    /// <summary>Bytes the filesystem may hold (long.MaxValue = no limit given).</summary>
    public long SizeLimit { get; private set; } = long.MaxValue;

    /// <summary>Inodes the filesystem may hold (long.MaxValue = no limit given).</summary>
    public long InodeLimit { get; private set; } = long.MaxValue;

    /// <summary>Parses a comma-separated option list; memTotal sizes "size=N%". Throws TmpfsOptionException.</summary>
    public static TmpfsMountOptions Parse(string options, long memTotal, uint defaultMode = 0x3FF /*1777*/)
    {
        var o = new TmpfsMountOptions { Mode = defaultMode };
        foreach (var raw in options.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (s_mountFlags.Contains(raw)) continue;
            int eq = raw.IndexOf('=');
            string key = eq < 0 ? raw : raw[..eq], value = eq < 0 ? "" : raw[(eq + 1)..];
            switch (key)
            {
                case "mode":
                    if (!TryOctal(value, out uint mode) || mode > 0xFFF) throw Bad(raw);
                    o.Mode = mode;
                    break;
                case "uid":
                    o.Uid = ParseId(raw, value);
                    break;
                case "gid":
                    o.Gid = ParseId(raw, value);
                    break;
                case "size":
                    o.SizeLimit = value.EndsWith('%')
                        ? Percent(raw, value, memTotal)
                        : RoundPages(ParseSize(raw, value));
                    break;
                case "nr_blocks":
                    o.SizeLimit = checked(ParseSize(raw, value) * 4096);
                    break;
                case "nr_inodes":
                    o.InodeLimit = ParseSize(raw, value);
                    break;
                default:
                    throw new TmpfsOptionException($"tmpfs option \"{raw}\" is not supported");
            }
        }
        // Linux: a limit of 0 means unlimited.
        if (o.SizeLimit == 0) o.SizeLimit = long.MaxValue;
        if (o.InodeLimit == 0) o.InodeLimit = long.MaxValue;
        return o;
    }

    private static TmpfsOptionException Bad(string raw) => new($"invalid tmpfs option \"{raw}\"");

    private static bool TryOctal(string s, out uint v)
    {
        v = 0;
        if (s.Length == 0 || s.Length > 6) return false;
        foreach (char c in s)
        {
            if (c is < '0' or > '7') return false;
            v = v * 8 + (uint)(c - '0');
        }
        return true;
    }

    private static uint ParseId(string raw, string s) =>
        uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out uint v) && v != uint.MaxValue ? v : throw Bad(raw);

    /// <summary>memparse: a number with an optional k/m/g/t/p/e suffix (either case).</summary>
    private static long ParseSize(string raw, string s)
    {
        if (s.Length == 0) throw Bad(raw);
        int shift = char.ToLowerInvariant(s[^1]) switch { 'k' => 10, 'm' => 20, 'g' => 30, 't' => 40, 'p' => 50, 'e' => 60, _ => 0 };
        string digits = shift == 0 ? s : s[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n)) throw Bad(raw);
        if (shift > 0 && n > (long.MaxValue >> shift)) throw Bad(raw);
        return n << shift;
    }

    private static long Percent(string raw, string s, long memTotal)
    {
        if (!long.TryParse(s[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out long pct) || pct > 100) throw Bad(raw);
        return RoundPages(memTotal / 100 * pct);
    }

    private static long RoundPages(long bytes) => bytes > long.MaxValue - 4095 ? long.MaxValue : (bytes + 4095) & ~4095L;
}
