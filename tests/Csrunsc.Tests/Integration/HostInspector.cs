using System.Diagnostics;
using Csrunsc.Tests.Differential;

namespace Csrunsc.Tests.Integration;

/// <summary>Host processes and mounts, for leftover checks and teardown.</summary>
public static class HostInspector
{
    /// <summary>True when <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) S ..."; comm may contain spaces and parentheses.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>Live (non-zombie) processes other than this one matching <paramref name="predicate"/>.</summary>
    public static List<HostProcess> LiveProcesses(Func<HostProcess, bool> predicate) =>
        HostProcess.ListAll()
            .Where(p => p.Pid != Environment.ProcessId && IsAlive(p.Pid) && predicate(p))
            .ToList();

    /// <summary>All live descendants of <paramref name="pid"/> (children first found, any depth).</summary>
    public static List<int> Descendants(int pid)
    {
        var all = HostProcess.ListAll();
        var result = new List<int>();
        var frontier = new Queue<int>([pid]);
        while (frontier.Count > 0)
        {
            var parent = frontier.Dequeue();
            foreach (var child in all.Where(p => p.ParentPid == parent))
            {
                result.Add(child.Pid);
                frontier.Enqueue(child.Pid);
            }
        }

        return result;
    }

    /// <summary>SIGKILLs <paramref name="pid"/> and everything below it (descendants first so none escape to init).</summary>
    public static void KillTree(int pid)
    {
        // Stop the root first so it cannot spawn more, then kill the rest.
        Signal(pid, "STOP");
        foreach (var child in Descendants(pid))
        {
            Signal(child, "KILL");
        }

        Signal(pid, "KILL");
        Signal(pid, "CONT");
    }

    public static void Signal(int pid, string signal)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString()])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            kill?.WaitForExit(5000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    /// <summary>Mount points (from /proc/self/mountinfo) at or below any of <paramref name="roots"/>, deepest first.</summary>
    public static List<string> MountsUnder(params string[] roots)
    {
        var mounts = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ..." with octal escapes (\040 = space).
            var fields = line.Split(' ');
            if (fields.Length < 5)
            {
                continue;
            }

            var mountPoint = Unescape(fields[4]);
            if (roots.Any(root => mountPoint == root || mountPoint.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal)))
            {
                mounts.Add(mountPoint);
            }
        }

        return mounts.OrderByDescending(m => m.Length).ToList();
    }

    /// <summary>Lazily unmounts everything at or below <paramref name="roots"/>.</summary>
    public static void UnmountAllUnder(params string[] roots)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var mounts = MountsUnder(roots);
            if (mounts.Count == 0)
            {
                return;
            }

            foreach (var mount in mounts)
            {
                Shell.Run(TimeSpan.FromSeconds(10), "umount", ["-l", mount]);
            }
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (condition())
            {
                return true;
            }

            if (clock.Elapsed >= timeout)
            {
                return false;
            }

            Thread.Sleep(interval ?? TimeSpan.FromMilliseconds(100));
        }
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }

        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && field.Substring(i + 1, 3) is var octal
                && octal.All(c => c is >= '0' and <= '7'))
            {
                builder.Append((char)Convert.ToInt32(octal, 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }
}
