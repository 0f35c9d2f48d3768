using Csrunsc.Native;

namespace Csrunsc.State;

/// <summary>Facts about a host process read from /proc (liveness that survives pid reuse).</summary>
public static class SandboxProcess
{
    /// <summary>Start time in clock ticks (field 22 of /proc/PID/stat), or 0 if gone; zombies count as gone.</summary>
    public static ulong StartTime(int pid)
    {
        if (pid <= 0) return 0;
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            if (fields[0] is "Z" or "X") return 0;
            return ulong.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    public static bool IsAlive(int pid, ulong startTime)
    {
        ulong now = StartTime(pid);
        return now != 0 && (startTime == 0 || now == startTime);
    }

    /// <summary>Waits until the process is gone (or a zombie), up to timeout.</summary>
    public static bool WaitGone(int pid, ulong startTime, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (IsAlive(pid, startTime))
        {
            if (DateTime.UtcNow > until) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    public static int Signal(int pid, int sig) => Libc.Kill(pid, sig) < 0 ? -Libc.LastErrno : 0;
}
