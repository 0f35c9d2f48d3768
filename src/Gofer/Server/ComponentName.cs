using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>Checks of the single path components the client sends (the gofer never takes a path).</summary>
internal static class ComponentName
{
    /// <summary>NAME_MAX.</summary>
    public const int MaxLength = 255;

    /// <summary>0, or the errno for a name that is empty, ".", "..", contains '/' or NUL, or is too long.</summary>
    public static int Check(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty) return Errno.EINVAL;
        if (name.Length > MaxLength) return Errno.ENAMETOOLONG;
        if (name[0] == (byte)'.' && (name.Length == 1 || (name.Length == 2 && name[1] == (byte)'.'))) return Errno.EINVAL;
        if (name.IndexOfAny((byte)'/', (byte)0) >= 0) return Errno.EINVAL;
        return 0;
    }

    /// <summary>Copies a checked name into <paramref name="dst"/> with a NUL terminator.</summary>
    public static void CopyZ(ReadOnlySpan<byte> name, Span<byte> dst)
    {
        name.CopyTo(dst);
        dst[name.Length] = 0;
    }

    /// <summary>A new NUL-terminated copy (for names a fid keeps).</summary>
    public static byte[] ToZ(ReadOnlySpan<byte> name)
    {
        var z = new byte[name.Length + 1];
        name.CopyTo(z);
        return z;
    }
}
