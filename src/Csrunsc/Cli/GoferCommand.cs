using Csrunsc.Gofer;

namespace Csrunsc.Cli;

/// <summary>
/// `csrunsc gofer --fd N --rootfs DIR [--ro] [--bind GUEST=HOST[:ro]]... [--host-id UID] [--debug-log DIR --id ID]`:
/// the file server process (internal). --debug-log: its ID.gofer.PID.log, opened before it confines itself.
/// </summary>
public static class GoferCommand
{
    public static int Run(string[] args)
    {
        int fd = 3;
        string rootfs = "";
        bool ro = false;
        uint? hostId = null;
        string? debugLog = null, id = null;
        var binds = new List<(string, string, bool)>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--fd": fd = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--rootfs": rootfs = args[++i]; break;
                case "--ro": ro = true; break;
                case "--debug-log": debugLog = args[++i]; break;
                case "--id": id = args[++i]; break;
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
        var log = id is null ? null
            : DebugLog.Begin(debugLog, id, "gofer", $"csrunsc gofer: serving {rootfs}{(ro ? " (read-only)" : "")} and {binds.Count} bind mount(s) for {id}");
        return GoferServer.Run(fd, rootfs, binds, ro, hostId, log is null ? null : line => log.Write(Log.TextLine("info", line) + "\n"));
    }
}
