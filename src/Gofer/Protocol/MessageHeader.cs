using System.Buffers.Binary;

namespace Csrunsc.Gofer.Protocol;

/// <summary>The 8-byte frame header: u32 payload length, u16 message id, u16 reserved (0).</summary>
public static class MessageHeader
{
    public const int Size = 8;

    /// <summary>Largest request payload the server accepts (names are ≤ 255 bytes, symlink targets ≤ 4095).</summary>
    public const int MaxRequestPayload = 64 * 1024;

    /// <summary>Largest response payload the client accepts.</summary>
    public const int MaxResponsePayload = 1024 * 1024;

    public static void Write(Span<byte> header, uint payloadLength, MessageId id)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, payloadLength);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)id);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0);
    }

    public static uint PayloadLength(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32LittleEndian(header);

    public static MessageId Id(ReadOnlySpan<byte> header) => (MessageId)BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
}
