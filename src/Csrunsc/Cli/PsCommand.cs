using System.Globalization;
using System.Text;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>`ps [--format table|json] ID`: host pids of the processes running the container's code.</summary>
public static class PsCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, ["format|f"], [], out string? error);
        var store = new StateStore(global.Root);
        var state = error is null ? Containers.Find(store, Containers.IdArg(a), out error) : null;
        if (state is null)
        {
            Log.Error(error!);
            return 1;
        }
        var pids = new List<int>();
        if (StateStore.CurrentStatus(state) != "stopped" && Containers.Control(store, state, "ps", out string reply))
        {
            // A pod member's init is known by its proxy, the pid-file process.
            if (state.Sandbox is not null) pids.Add(state.Pid);
            pids.AddRange(reply.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)));
        }
        if (pids.Count == 0 && StateStore.CurrentStatus(state) != "stopped") pids.Add(state.Pid);
        var sb = new StringBuilder();
        if (a.Value("format") == "json")
        {
            sb.Append('[').Append(string.Join(',', pids)).Append("]\n");
        }
        else
        {
            sb.Append("PID\tCMD\n");
            foreach (int p in pids)
            {
                string cmd;
                try { cmd = File.ReadAllText($"/proc/{p}/cmdline").Replace('\0', ' ').Trim(); }
                catch (IOException) { cmd = "?"; }
                sb.Append(p.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(cmd).Append('\n');
            }
        }
        Native.Libc.WriteString(1, sb.ToString());
        return 0;
    }
}
