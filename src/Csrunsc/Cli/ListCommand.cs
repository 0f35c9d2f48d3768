using System.Globalization;
using System.Text;
using System.Text.Json;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>`list [--format table|json] [--quiet]`.</summary>
public static class ListCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, ["format|f"], ["quiet|q"], out string? error);
        if (error is not null)
        {
            Log.Error(error);
            return 1;
        }
        var store = new StateStore(global.Root);
        var states = store.Ids().Select(store.Load).Where(s => s is not null).Select(s => Containers.ToOci(s!)).ToList();
        var sb = new StringBuilder();
        if (a.Flag("quiet"))
        {
            foreach (var s in states) sb.Append(s.Id).Append('\n');
        }
        else if (a.Value("format") == "json")
        {
            sb.Append(JsonSerializer.Serialize(states, StateJsonContext.Default.ListOciState).Replace("\n", "", StringComparison.Ordinal).Replace("  ", "", StringComparison.Ordinal)).Append('\n');
        }
        else
        {
            sb.Append("ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n");
            foreach (var s in states)
                sb.Append(s.Id).Append('\t').Append(s.Pid.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(s.Status).Append('\t')
                  .Append(s.Bundle).Append('\t').Append(s.Created.ToString("O", CultureInfo.InvariantCulture)).Append('\t').Append(s.Owner).Append('\n');
        }
        Native.Libc.WriteString(1, sb.ToString());
        return 0;
    }
}
