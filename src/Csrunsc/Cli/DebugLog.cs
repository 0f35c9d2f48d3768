using Csrunsc.Native;

namespace Csrunsc.Cli;

/// <summary>
/// `--debug-log DIR` (runsc's rule: a value ending in '/' or naming an existing directory is a
/// directory): one file per process role, `ID.ROLE.PID.log` — ROLE the CLI command (create, start,
/// run, delete, ...), `sandbox` (the boot process: the Sentry's events, --strace lines, the exit
/// summary) or `gofer` — each capped at <see cref="RotatingLogFile.DefaultMaxBytes"/> with one
/// older generation in `ID.ROLE.PID.log.1`. The sandbox and the gofer open theirs before they
/// chroot and drop root; rotation needs only the fds. `--debug-log FILE` is as before: the Sentry's
/// events appended to FILE.
/// </summary>
public static class DebugLog
{
    /// <summary>This process's role file once <see cref="Begin"/> opened it (DIR mode), else null.</summary>
    public static RotatingLogFile? Current { get; private set; }

    /// <summary>The CLI command this process runs (set by Program), whose file opens when the container id is known.</summary>
    public static string? Command { get; set; }

    /// <summary>The whole command line, for the CLI file's first line.</summary>
    public static string[] Args { get; set; } = [];

    public static bool IsDirectory(string? value) =>
        !string.IsNullOrEmpty(value) && (value.EndsWith('/') || Directory.Exists(value));

    public static string PathFor(string dir, string id, string role, int pid) =>
        Path.Join(dir, $"{id}.{role}.{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}.log");

    /// <summary>
    /// Opens this process's file for ROLE in the --debug-log directory and writes its first line
    /// (what the process is); nothing when --debug-log is not a directory, or already open.
    /// </summary>
    public static RotatingLogFile? Begin(string? debugLog, string id, string role, string what)
    {
        if (Current is not null || !IsDirectory(debugLog) || string.IsNullOrEmpty(id) || !State.StateStore.ValidId(id)) return Current;
        try
        {
            Directory.CreateDirectory(debugLog!);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        int pid = Libc.GetPid();
        Current = RotatingLogFile.Open(PathFor(debugLog!, id, role, pid), MaxBytes(), out _);
        Current?.Write(Log.TextLine("info", $"{what} (pid {pid})") + "\n");
        return Current;
    }

    /// <summary>The cap: 16 MiB, or CSRUNSC_DEBUG_LOG_MAX_BYTES (at least 4096; for tests of the rotation).</summary>
    private static long MaxBytes() =>
        long.TryParse(Environment.GetEnvironmentVariable("CSRUNSC_DEBUG_LOG_MAX_BYTES"), System.Globalization.CultureInfo.InvariantCulture, out long n) && n > 0
            ? n : RotatingLogFile.DefaultMaxBytes;

    /// <summary>A CLI command learnt its container id: its file opens now, first line the command line.</summary>
    public static void NameContainer(string? id)
    {
        if (Command is null || Current is not null || string.IsNullOrEmpty(id)) return;
        Begin(Log.Options.DebugLog, id, Command, "csrunsc " + string.Join(' ', Args));
    }

    /// <summary>The CLI command's last line.</summary>
    public static void End(int exitCode)
    {
        if (Command is not null) Current?.Write(Log.TextLine("info", $"csrunsc {Command}: exit status {exitCode}") + "\n");
    }
}
