using System.Text;
using Csrunsc.State;

namespace Csrunsc.Diagnostics;

/// <summary>
/// Where the sandbox process's .NET diagnostics IPC socket lives. The runtime creates it at start-up,
/// before the Sentry chroots and drops root, as $TMPDIR/dotnet-diagnostic-PID-KEY-socket, and keeps
/// accepting on it afterwards; the sandbox is started with TMPDIR set to the container's state
/// directory, so the socket is there, on the host, where `csrunsc debug` finds it. Where that
/// path would not fit sun_path (108 bytes: containerd's state roots with 64-hex ids), the
/// default temp directory is kept.
/// </summary>
public static class DiagnosticsEndpoint
{
    /// <summary>"dotnet-diagnostic-" + pid (at most 7 digits) + "-" + start-time key (at most 20) + "-socket".</summary>
    private const int SocketNameMax = 18 + 7 + 1 + 20 + 7;

    /// <summary>The directory for a sandbox's diagnostics socket, or null to leave TMPDIR as it is.</summary>
    public static string? DirectoryFor(StateStore store, string sandboxId)
    {
        string dir = store.Dir(sandboxId);
        return Encoding.UTF8.GetByteCount(dir) + 1 + SocketNameMax < 108 ? dir : null;
    }

    /// <summary>The sandbox's environment: ours with TMPDIR pointing at the socket directory.</summary>
    public static List<string> Environment(string? dir)
    {
        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            string k = (string)e.Key;
            if (dir is not null && k == "TMPDIR") continue;
            env.Add(k + "=" + (string?)e.Value);
        }
        if (dir is not null) env.Add("TMPDIR=" + dir);
        return env;
    }

    /// <summary>The socket of process pid in dir (null: the default temp directory), or null when there is none.</summary>
    public static string? Find(string? dir, int pid)
    {
        dir ??= Path.GetTempPath();
        try
        {
            return Directory.GetFiles(dir, $"dotnet-diagnostic-{pid}-*-socket").FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
