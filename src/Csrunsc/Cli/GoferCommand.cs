using Csrunsc.Gofer;

namespace Csrunsc.Cli;

/// <summary>`csrunsc gofer --fd N --rootfs DIR [--ro] [--bind GUEST=HOST[:ro]]... [--host-id UID]`: the file server process (internal).</summary>
public static class GoferCommand
{
    public static int Run(string[] args)
    {
        int fd = 3;
        string rootfs = "";
        bool ro = false;
        uint? hostId = null;
        var binds = new List<(string, string, bool)>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--fd": fd = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--rootfs": rootfs = args[++i]; break;
                case "--ro": ro = true; break;
                case "--host-id": hostId = uint.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--bind":
                {
                    string spec = args[++i];
                    bool bro = spec.EndsWith(":ro", StringComparison.Ordinal);
                    if (bro) spec = spec[..^3];
                    int eq = spec.IndexOf('=');
                    binds.Add((spec[..eq], spec[(eq + 1)..], bro));
                    break;
                }
            }
        }
        return GoferServer.Run(fd, rootfs, binds, ro, hostId);
    }
}
