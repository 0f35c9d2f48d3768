using System.Buffers.Binary;
using Csrunsc.Native;

namespace Csrunsc.Sentry.Fs.Socket.Host;

/// <summary>One network interface of the guest's namespace, as an RTM_GETLINK dump describes it.</summary>
public sealed class NetInterface
{
    /// <summary>The counters of struct rtnl_link_stats64, in its order (the names are /sys/class/net/IF/statistics/*).</summary>
    public static readonly string[] StatisticNames =
    [
        "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors", "rx_dropped", "tx_dropped",
        "multicast", "collisions", "rx_length_errors", "rx_over_errors", "rx_crc_errors", "rx_frame_errors",
        "rx_fifo_errors", "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
        "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed", "rx_nohandler",
    ];

    private static readonly string[] s_operStates = ["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"];

    public int Index { get; init; }
    public string Name { get; init; } = "";
    public uint Flags { get; init; }
    public ushort Type { get; init; }
    public uint Mtu { get; init; }
    public uint TxQueueLength { get; init; }
    public byte OperState { get; init; }
    public byte[] Address { get; init; } = [];
    public byte[] Broadcast { get; init; } = [];
    public ulong[] Statistics { get; init; } = new ulong[StatisticNames.Length];

    public string OperStateName => OperState < s_operStates.Length ? s_operStates[OperState] : "unknown";

    public static string FormatAddress(byte[] a) => string.Join(':', a.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    private const ushort RTM_NEWLINK = 16, RTM_GETLINK = 18, NLMSG_DONE = 3, NLMSG_ERROR = 2;
    private const ushort NLM_F_REQUEST = 1, NLM_F_DUMP = 0x300;
    private const ushort IFLA_ADDRESS = 1, IFLA_BROADCAST = 2, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_TXQLEN = 13,
        IFLA_OPERSTATE = 16, IFLA_STATS64 = 23;

    /// <summary>Dumps the interfaces of the calling thread's network namespace (run on the namespace thread). Null on failure.</summary>
    internal static unsafe List<NetInterface>? DumpCurrentNamespace()
    {
        int fd = Libc.Socket(Libc.AF_NETLINK, 3 /*SOCK_RAW*/ | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (fd < 0) return null;
        try
        {
            Span<byte> req = stackalloc byte[32];
            req.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(req, 32);
            BinaryPrimitives.WriteUInt16LittleEndian(req[4..], RTM_GETLINK);
            BinaryPrimitives.WriteUInt16LittleEndian(req[6..], NLM_F_REQUEST | NLM_F_DUMP);
            BinaryPrimitives.WriteUInt32LittleEndian(req[8..], 1);
            fixed (byte* r = req)
            {
                if (Libc.Send(fd, r, 32, 0) != 32) return null;
            }
            var list = new List<NetInterface>();
            var buf = new byte[32768];
            while (true)
            {
                nint n;
                fixed (byte* b = buf) n = Libc.Recv(fd, b, buf.Length, 0);
                if (n <= 0) return null;
                for (int off = 0; off + 16 <= n;)
                {
                    var msg = buf.AsSpan(off);
                    int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(msg);
                    ushort type = BinaryPrimitives.ReadUInt16LittleEndian(msg[4..]);
                    if (len < 16 || off + len > n) return null;
                    if (type == NLMSG_DONE) return list;
                    if (type == NLMSG_ERROR) return null;
                    if (type == RTM_NEWLINK && len >= 32) list.Add(Parse(msg[16..len]));
                    off += (len + 3) & ~3;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static NetInterface Parse(ReadOnlySpan<byte> body)
    {
        ushort ifType = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
        int index = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
        string name = "";
        uint mtu = 0, txq = 0;
        byte oper = 0;
        byte[] addr = [], brd = [];
        var stats = new ulong[StatisticNames.Length];
        for (int off = 16; off + 4 <= body.Length;)
        {
            int alen = BinaryPrimitives.ReadUInt16LittleEndian(body[off..]);
            int atype = BinaryPrimitives.ReadUInt16LittleEndian(body[(off + 2)..]) & 0x3FFF;
            if (alen < 4 || off + alen > body.Length) break;
            var data = body.Slice(off + 4, alen - 4);
            switch (atype)
            {
                case IFLA_IFNAME: name = System.Text.Encoding.UTF8.GetString(data).TrimEnd('\0'); break;
                case IFLA_MTU when data.Length >= 4: mtu = BinaryPrimitives.ReadUInt32LittleEndian(data); break;
                case IFLA_TXQLEN when data.Length >= 4: txq = BinaryPrimitives.ReadUInt32LittleEndian(data); break;
                case IFLA_OPERSTATE when data.Length >= 1: oper = data[0]; break;
                case IFLA_ADDRESS: addr = data.ToArray(); break;
                case IFLA_BROADCAST: brd = data.ToArray(); break;
                case IFLA_STATS64:
                    for (int i = 0; i < stats.Length && (i + 1) * 8 <= data.Length; i++)
                        stats[i] = BinaryPrimitives.ReadUInt64LittleEndian(data[(i * 8)..]);
                    break;
            }
            off += (alen + 3) & ~3;
        }
        return new NetInterface
        {
            Index = index, Name = name, Flags = flags, Type = ifType, Mtu = mtu, TxQueueLength = txq,
            OperState = oper, Address = addr, Broadcast = brd, Statistics = stats,
        };
    }
}
