using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Csrunsc.Gofer.Protocol;

/// <summary>
/// Reads a payload. Reading past the end yields zeros and sets <see cref="Failed"/> instead of
/// throwing: a malformed message is answered with EINVAL (server) or treated as a broken channel (client).
/// </summary>
public ref struct PayloadReader(ReadOnlySpan<byte> payload)
{
    private readonly ReadOnlySpan<byte> _data = payload;
    private int _pos;

    /// <summary>True once a read ran past the end of the payload.</summary>
    public bool Failed { get; private set; }

    public readonly int Remaining => _data.Length - _pos;

    public byte U8() => Take(1, out var s) ? s[0] : (byte)0;
    public ushort U16() => Take(2, out var s) ? BinaryPrimitives.ReadUInt16LittleEndian(s) : (ushort)0;
    public uint U32() => Take(4, out var s) ? BinaryPrimitives.ReadUInt32LittleEndian(s) : 0;
    public int I32() => Take(4, out var s) ? BinaryPrimitives.ReadInt32LittleEndian(s) : 0;
    public ulong U64() => Take(8, out var s) ? BinaryPrimitives.ReadUInt64LittleEndian(s) : 0;
    public long I64() => Take(8, out var s) ? BinaryPrimitives.ReadInt64LittleEndian(s) : 0;

    /// <summary>The raw bytes of a length-prefixed string (no copy).</summary>
    public ReadOnlySpan<byte> StringBytes()
    {
        uint n = U32();
        if (Failed || n > (uint)Remaining)
        {
            Failed = true;
            return default;
        }
        Take((int)n, out var s);
        return s;
    }

    /// <summary>A length-prefixed UTF-8 string.</summary>
    public string String()
    {
        var bytes = StringBytes();
        return bytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>An unmanaged struct stored as raw bytes.</summary>
    public T Raw<T>() where T : unmanaged
        => Take(System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), out var s) ? MemoryMarshal.Read<T>(s) : default;

    private bool Take(int n, out ReadOnlySpan<byte> span)
    {
        if (Failed || n > Remaining)
        {
            Failed = true;
            span = default;
            return false;
        }
        span = _data.Slice(_pos, n);
        _pos += n;
        return true;
    }
}
