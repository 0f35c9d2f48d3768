using System.Globalization;
using System.Text;
using Csrunsc.Sentry.Fs.Socket.Host;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Sys;

/// <summary>
/// /sys/class/net of the guest's network namespace: one directory per interface with the files
/// tools read (address, mtu, operstate, flags, ifindex, type, carrier, tx_queue_len, statistics/*),
/// read fresh from the namespace (an RTM_GETLINK dump) whenever a directory is looked at.
/// </summary>
public static class SysClassNet
{
    private const uint IFF_RUNNING = 0x40, IFF_LOWER_UP = 0x10000, IFF_DORMANT = 0x20000;

    public static Inode Create(FileSystem fs, HostNetwork network) =>
        new SysGeneratedDirectory(fs, () =>
        {
            var d = new Dictionary<string, Inode>(StringComparer.Ordinal);
            foreach (var i in network.Interfaces()) d[i.Name] = Interface(fs, network, i.Name);
            return d;
        });

    private static Inode Interface(FileSystem fs, HostNetwork network, string name)
    {
        NetInterface? Now() => network.Interfaces().FirstOrDefault(i => i.Name == name);
        Inode File(Func<NetInterface, string> value) =>
            new SysGeneratedFile(fs, () => Now() is { } i ? Encoding.ASCII.GetBytes(value(i) + "\n") : null);
        string Dec(long v) => v.ToString(CultureInfo.InvariantCulture);

        var stats = new Dictionary<string, Inode>(StringComparer.Ordinal);
        for (int k = 0; k < NetInterface.StatisticNames.Length; k++)
        {
            int index = k;
            stats[NetInterface.StatisticNames[k]] = File(i => i.Statistics[index].ToString(CultureInfo.InvariantCulture));
        }
        var files = new Dictionary<string, Inode>(StringComparer.Ordinal)
        {
            ["address"] = File(i => NetInterface.FormatAddress(i.Address)),
            ["broadcast"] = File(i => NetInterface.FormatAddress(i.Broadcast)),
            ["addr_len"] = File(i => Dec(i.Address.Length)),
            ["mtu"] = File(i => Dec(i.Mtu)),
            ["operstate"] = File(i => i.OperStateName),
            // sysfs shows dev->flags: without the state bits netlink adds (RUNNING, LOWER_UP, DORMANT).
            ["flags"] = File(i => "0x" + (i.Flags & ~(IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT)).ToString("x", CultureInfo.InvariantCulture)),
            ["ifindex"] = File(i => Dec(i.Index)),
            ["iflink"] = File(i => Dec(i.Index)),
            ["type"] = File(i => Dec(i.Type)),
            ["tx_queue_len"] = File(i => Dec(i.TxQueueLength)),
            ["carrier"] = File(i => (i.Flags & IFF_LOWER_UP) != 0 ? "1" : "0"),
            ["dormant"] = File(_ => "0"),
            ["statistics"] = new SysGeneratedDirectory(fs, () => stats),
        };
        return new SysGeneratedDirectory(fs, () => files);
    }
}
