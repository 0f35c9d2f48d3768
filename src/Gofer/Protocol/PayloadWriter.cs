using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Csrunsc.Gofer.Protocol;

/// <summary>
/// Builds one frame (header + payload) in a reusable buffer. <see cref="Begin"/> reserves the
/// header; <see cref="Finish"/> fills it in. Grows only when a message is bigger than any before.
/// </summary>
public sealed class PayloadWriter(int initialCapacity = 4096)
{
    private byte[] _buf = new byte[Math.Max(initialCapacity, 64)];
    private int _pos = MessageHeader.Size;

    /// <summary>Bytes written so far, header included.</summary>
    public int Length => _pos;

    /// <summary>The frame written so far, header included.</summary>
    public ReadOnlySpan<byte> Frame => _buf.AsSpan(0, _pos);

    /// <summary>Starts a new frame (drops anything written).</summary>
    public void Begin() => _pos = MessageHeader.Size;

    /// <summary>Cuts the frame back to <paramref name="length"/> bytes (header included).</summary>
    public void Truncate(int length) => _pos = Math.Clamp(length, MessageHeader.Size, _pos);

    /// <summary>Fills in the header for the payload written since <see cref="Begin"/>.</summary>
    public ReadOnlySpan<byte> Finish(MessageId id)
    {
        MessageHeader.Write(_buf, (uint)(_pos - MessageHeader.Size), id);
        return Frame;
    }

    public void U8(byte v) => Reserve(1)[0] = v;
    public void U16(ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), v);
    public void U32(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), v);
    public void I32(int v) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), v);
    public void U64(ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), v);
    public void I64(long v) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), v);

    /// <summary>Writes a u32 byte count and the UTF-8 bytes of <paramref name="s"/>.</summary>
    public void String(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        U32((uint)n);
        Encoding.UTF8.GetBytes(s, Reserve(n));
    }

    /// <summary>Writes a u32 byte count and the bytes.</summary>
    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        U32((uint)bytes.Length);
        bytes.CopyTo(Reserve(bytes.Length));
    }

    /// <summary>Writes an unmanaged struct as its raw (x86-64, little-endian) bytes.</summary>
    public void Raw<T>(in T value) where T : unmanaged
        => MemoryMarshal.Write(Reserve(System.Runtime.CompilerServices.Unsafe.SizeOf<T>()), in value);

    /// <summary>Overwrites a u32 written earlier at frame offset <paramref name="at"/> (for counts known only at the end).</summary>
    public void PatchU32(int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(_buf.AsSpan(at, 4), v);

    /// <summary>Overwrites a u64 written earlier at frame offset <paramref name="at"/>.</summary>
    public void PatchU64(int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(_buf.AsSpan(at, 8), v);

    /// <summary>Overwrites a byte written earlier at frame offset <paramref name="at"/>.</summary>
    public void PatchU8(int at, byte v) => _buf[at] = v;

    /// <summary>Advances by <paramref name="n"/> bytes and returns them for the caller to fill.</summary>
    public Span<byte> Reserve(int n)
    {
        if (_pos + n > _buf.Length)
        {
            Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _pos + n));
        }
        var span = _buf.AsSpan(_pos, n);
        _pos += n;
        return span;
    }
}
