namespace Csrunsc.Tests.Differential;

/// <summary>A snapshot of one host process read from /proc/PID.</summary>
public sealed record HostProcess(int Pid, int ParentPid, int TracerPid, string Name, string CommandLine)
{
    /// <summary>All processes currently visible in /proc (those that vanish while reading are skipped).</summary>
    public static List<HostProcess> ListAll()
    {
        var processes = new List<HostProcess>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && TryRead(pid) is { } process)
            {
                processes.Add(process);
            }
        }

        return processes;
    }

    public static HostProcess? TryRead(int pid)
    {
        try
        {
            var name = "";
            int parent = 0, tracer = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Name:", StringComparison.Ordinal))
                {
                    name = line["Name:".Length..].Trim();
                }
                else if (line.StartsWith("PPid:", StringComparison.Ordinal))
                {
                    parent = int.Parse(line["PPid:".Length..].Trim());
                }
                else if (line.StartsWith("TracerPid:", StringComparison.Ordinal))
                {
                    tracer = int.Parse(line["TracerPid:".Length..].Trim());
                }
            }

            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            return new HostProcess(pid, parent, tracer, name, commandLine);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The process (thread group) a thread id belongs to. TracerPid names the tracing *thread*, and
    /// the Sentry traces from one thread per guest task, so it is rarely the process's own pid.
    /// </summary>
    public static int ThreadGroupOf(int tid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{tid}/status"))
            {
                if (line.StartsWith("Tgid:", StringComparison.Ordinal)) return int.Parse(line["Tgid:".Length..].Trim());
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return tid;
    }

    /// <summary>True when <paramref name="ancestorPid"/> is this process's parent, grandparent, ...</summary>
    public bool IsDescendantOf(int ancestorPid)
    {
        var current = ParentPid;
        for (var depth = 0; depth < 64 && current > 1; depth++)
        {
            if (current == ancestorPid)
            {
                return true;
            }

            current = TryRead(current)?.ParentPid ?? 0;
        }

        return false;
    }
}
