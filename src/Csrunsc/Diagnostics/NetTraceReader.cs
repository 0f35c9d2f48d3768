using System.Text;

namespace Csrunsc.Diagnostics;

/// <summary>One decoded event: its provider, name and payload fields (nested structs as dictionaries).</summary>
public sealed record NetTraceEvent(string Provider, string Name, Dictionary<string, object?> Fields);

/// <summary>
/// A streaming reader of the nettrace format (version 4/5, what EventPipe writes on a diagnostics
/// IPC session; perfview's NetTraceFormat_v5.md): the FastSerialization object stream, its
/// MetadataBlocks (event names, providers, field layouts) and EventBlocks (compressed headers).
/// Enough to decode self-describing events such as EventCounters; stacks and sequence points are
/// skipped. Trace files are written raw (`--trace`), so tools read those, not this.
/// </summary>
public sealed class NetTraceReader(Stream stream)
{
    private const byte NullReference = 1, BeginPrivateObject = 5, EndObject = 6;

    private readonly Stream _s = stream;
    private long _pos;
    private readonly Dictionary<int, Metadata> _metadata = new();

    private sealed record Field(int TypeCode, string Name, Field[]? Nested);

    private sealed record Metadata(string Provider, string Name, Field[] Fields);

    /// <summary>The events in stream order until the end of the trace (or of the stream).</summary>
    public IEnumerable<NetTraceEvent> Events()
    {
        if (Encoding.ASCII.GetString(Bytes(8)) != "Nettrace") throw new InvalidDataException("not a nettrace stream");
        if (Encoding.ASCII.GetString(Bytes(I32())) != "!FastSerialization.1") throw new InvalidDataException("unknown serialization");
        while (true)
        {
            int tag = _s.ReadByte();
            if (tag < 0 || tag == NullReference) yield break;
            _pos++;
            if (tag != BeginPrivateObject) throw new InvalidDataException($"tag {tag} at {_pos}");
            var (type, version) = TypeHeader();
            var events = new List<NetTraceEvent>();
            switch (type)
            {
                case "Trace":
                    if (version > 5) throw new InvalidDataException($"nettrace version {version} is not supported by this reader");
                    Bytes(16 + 8 + 8 + 4 + 4 + 4 + 4);
                    break;
                case "MetadataBlock":
                case "EventBlock":
                    Block(type == "MetadataBlock", events);
                    break;
                default:
                    Bytes(BlockLength()); // StackBlock, SPBlock: not needed
                    break;
            }
            Expect(EndObject);
            foreach (var e in events) yield return e;
        }
    }

    private (string Name, int Version) TypeHeader()
    {
        Expect(BeginPrivateObject);
        Expect(NullReference);
        int version = I32();
        I32(); // minimum reader version
        string name = Encoding.UTF8.GetString(Bytes(I32()));
        Expect(EndObject);
        return (name, version);
    }

    /// <summary>A block's size, after which the payload starts at the next 4-byte stream offset.</summary>
    private int BlockLength()
    {
        int size = I32();
        int pad = (int)((4 - _pos % 4) % 4);
        Bytes(pad);
        return size;
    }

    private void Block(bool metadata, List<NetTraceEvent> into)
    {
        byte[] b = Bytes(BlockLength());
        int p;
        int headerSize = BitConverter.ToInt16(b, 0);
        bool compressed = (BitConverter.ToInt16(b, 2) & 1) != 0;
        p = headerSize;
        int metadataId = 0, payloadSize = 0;
        while (p < b.Length)
        {
            if (compressed)
            {
                byte flags = b[p++];
                if ((flags & 1) != 0) metadataId = (int)VarU(b, ref p);
                if ((flags & 2) != 0)
                {
                    VarU(b, ref p);
                    VarU(b, ref p);
                    VarU(b, ref p);
                }
                if ((flags & 4) != 0) VarU(b, ref p);
                if ((flags & 8) != 0) VarU(b, ref p);
                VarU(b, ref p); // timestamp delta
                if ((flags & 16) != 0) p += 16;
                if ((flags & 32) != 0) p += 16;
                if ((flags & 128) != 0) payloadSize = (int)VarU(b, ref p);
            }
            else
            {
                int start = p;
                metadataId = BitConverter.ToInt32(b, p + 4) & 0x7fffffff;
                payloadSize = BitConverter.ToInt32(b, p + 4 + 4 + 4 + 8 + 8 + 4 + 4 + 8 + 16 + 16);
                p = start + 4 + 4 + 4 + 8 + 8 + 4 + 4 + 8 + 16 + 16 + 4;
            }
            var payload = new ReadOnlySpan<byte>(b, p, payloadSize);
            p += payloadSize;
            if (!compressed) p = (p + 3) & ~3; // the block itself starts at a 4-byte stream offset
            if (metadata) DefineMetadata(payload);
            else if (_metadata.TryGetValue(metadataId, out var m))
            {
                int q = 0;
                var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
                if (ReadFields(payload, ref q, m.Fields, fields)) into.Add(new NetTraceEvent(m.Provider, m.Name, fields));
            }
        }
    }

    private void DefineMetadata(ReadOnlySpan<byte> p)
    {
        int q = 0;
        int id = BitConverter.ToInt32(p[q..]);
        q += 4;
        string provider = Utf16(p, ref q);
        q += 4; // event id
        string name = Utf16(p, ref q);
        q += 8 + 4 + 4; // keywords, version, level
        var fields = q + 4 <= p.Length ? FieldList(p, ref q) : [];
        _metadata[id] = new Metadata(provider, name, fields ?? []);
    }

    private static Field[]? FieldList(ReadOnlySpan<byte> p, ref int q)
    {
        int count = BitConverter.ToInt32(p[q..]);
        q += 4;
        if (count < 0 || count > 1024) return null;
        var list = new Field[count];
        for (int i = 0; i < count; i++)
        {
            int type = BitConverter.ToInt32(p[q..]);
            q += 4;
            Field[]? nested = null;
            if (type == 1)
            {
                nested = FieldList(p, ref q);
                if (nested is null) return null;
            }
            list[i] = new Field(type, Utf16(p, ref q), nested);
        }
        return list;
    }

    /// <summary>Decodes a payload by its V1 layout (packed little-endian, strings as NUL-terminated UTF-16). False on a type it cannot size.</summary>
    private static bool ReadFields(ReadOnlySpan<byte> p, ref int q, Field[] layout, Dictionary<string, object?> into)
    {
        foreach (var f in layout)
        {
            object? v;
            switch (f.TypeCode)
            {
                case 1:
                    var nested = new Dictionary<string, object?>(StringComparer.Ordinal);
                    if (!ReadFields(p, ref q, f.Nested!, nested)) return false;
                    v = nested;
                    break;
                case 3: v = BitConverter.ToInt32(p[q..]) != 0; q += 4; break;          // Boolean (4 bytes in EventPipe)
                case 4: v = (char)BitConverter.ToUInt16(p[q..]); q += 2; break;         // Char
                case 5: v = (sbyte)p[q]; q += 1; break;
                case 6: v = p[q]; q += 1; break;
                case 7: v = BitConverter.ToInt16(p[q..]); q += 2; break;
                case 8: v = BitConverter.ToUInt16(p[q..]); q += 2; break;
                case 9: v = BitConverter.ToInt32(p[q..]); q += 4; break;
                case 10: v = BitConverter.ToUInt32(p[q..]); q += 4; break;
                case 11: v = BitConverter.ToInt64(p[q..]); q += 8; break;
                case 12: v = BitConverter.ToUInt64(p[q..]); q += 8; break;
                case 13: v = BitConverter.ToSingle(p[q..]); q += 4; break;
                case 14: v = BitConverter.ToDouble(p[q..]); q += 8; break;
                case 16: v = BitConverter.ToInt64(p[q..]); q += 8; break;               // DateTime as FILETIME
                case 17: v = new Guid(p.Slice(q, 16)); q += 16; break;                 // Guid
                case 18: v = Utf16(p, ref q); break;                                   // String
                default: return false;
            }
            into[f.Name] = v;
        }
        return true;
    }

    private static string Utf16(ReadOnlySpan<byte> p, ref int q)
    {
        int start = q;
        while (q + 1 < p.Length && (p[q] != 0 || p[q + 1] != 0)) q += 2;
        string s = Encoding.Unicode.GetString(p[start..q]);
        q += 2;
        return s;
    }

    private static ulong VarU(byte[] b, ref int p)
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte x = b[p++];
            v |= (ulong)(x & 0x7f) << shift;
            if ((x & 0x80) == 0) break;
        }
        return v;
    }

    private void Expect(byte tag)
    {
        int t = _s.ReadByte();
        _pos++;
        if (t != tag) throw new InvalidDataException($"expected tag {tag}, found {t} at {_pos}");
    }

    private int I32() => BitConverter.ToInt32(Bytes(4));

    private byte[] Bytes(int n)
    {
        var b = new byte[n];
        _s.ReadExactly(b);
        _pos += n;
        return b;
    }
}
