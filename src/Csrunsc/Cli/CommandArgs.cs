namespace Csrunsc.Cli;

/// <summary>
/// Flags of one command the way runc's CLI library takes them: "-f v", "--f v", "--f=v", bool
/// flags without a value, flags anywhere before "--", positionals in order.
/// </summary>
public sealed class CommandArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _bools = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = new();

    /// <summary>Parses args; valueFlags take a value, boolFlags don't. Aliases are "a|alias".</summary>
    public static CommandArgs Parse(string[] args, string[] valueFlags, string[] boolFlags, out string? error)
    {
        error = null;
        var result = new CommandArgs();
        var valueNames = Expand(valueFlags);
        var boolNames = Expand(boolFlags);
        bool rest = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (rest || a == "-" || !a.StartsWith('-'))
            {
                result.Positionals.Add(a);
                // Like runc: flags stop at the container id only for exec's trailing command.
                continue;
            }
            if (a == "--")
            {
                rest = true;
                continue;
            }
            string name = a.TrimStart('-');
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            if (valueNames.TryGetValue(name, out string? canonical))
            {
                if (value is null)
                {
                    if (i + 1 >= args.Length)
                    {
                        error = $"flag needs an argument: -{name}";
                        return result;
                    }
                    value = args[++i];
                }
                if (!result._values.TryGetValue(canonical, out var list)) result._values[canonical] = list = new List<string>();
                list.Add(value);
            }
            else if (boolNames.TryGetValue(name, out canonical))
            {
                if (value is null || value == "true") result._bools.Add(canonical);
            }
            else
            {
                error = $"flag provided but not defined: -{name}";
                return result;
            }
        }
        return result;
    }

    private static Dictionary<string, string> Expand(string[] flags)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in flags)
        {
            var names = f.Split('|');
            foreach (var n in names) d[n] = names[0];
        }
        return d;
    }

    public string? Value(string name) => _values.TryGetValue(name, out var l) ? l[^1] : null;

    public List<string> Values(string name) => _values.TryGetValue(name, out var l) ? l : [];

    public bool Flag(string name) => _bools.Contains(name);
}
