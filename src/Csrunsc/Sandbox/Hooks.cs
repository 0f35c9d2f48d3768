using System.Text.Json;
using Csrunsc.Native;
using Csrunsc.Oci;
using Csrunsc.State;

namespace Csrunsc.Sandbox;

/// <summary>OCI hooks: each runs on the host with the container's state JSON on stdin, with its timeout.</summary>
public static class Hooks
{
    /// <summary>Runs the hooks in order; the first failure stops them and is returned as an error line.</summary>
    public static string? Run(string phase, List<OciHook>? hooks, OciState state)
    {
        if (hooks is null) return null;
        string json = JsonSerializer.Serialize(state, StateJsonContext.Default.OciState);
        foreach (var hook in hooks)
        {
            string? err = RunOne(hook, json);
            if (err is not null) return $"error running {phase} hook {hook.Path}: {err}";
        }
        return null;
    }

    /// <summary>
    /// poststart/poststop: every hook runs; each failure is a warning (the OCI rule: "the runtime
    /// MUST log a warning, but the remaining hooks and lifecycle continue"). runc 1.1.5 instead
    /// stops at the first failure (and a failing poststart kills the container).
    /// </summary>
    public static void RunAllWarning(string phase, List<OciHook>? hooks, OciState state)
    {
        if (hooks is null) return;
        string json = JsonSerializer.Serialize(state, StateJsonContext.Default.OciState);
        for (int i = 0; i < hooks.Count; i++)
            if (RunOne(hooks[i], json) is { } err) Cli.Log.Warning($"error running {phase} hook #{i} {hooks[i].Path}: {err}");
    }

    private static string? RunOne(OciHook hook, string stateJson)
    {
        if (HostProcess.Pipe(out int inRead, out int inWrite) < 0) return "pipe failed";
        var argv = hook.Args is { Count: > 0 } ? hook.Args : [hook.Path];
        int pid = HostProcess.Spawn(hook.Path, argv, [(inRead, 0), (1, 1), (2, 2)], hook.Env ?? []);
        Libc.Close(inRead);
        if (pid < 0)
        {
            Libc.Close(inWrite);
            return Errno.Name(-pid);
        }
        Libc.WriteString(inWrite, stateJson);
        Libc.Close(inWrite);
        int timeout = hook.Timeout is > 0 ? hook.Timeout.Value : 0;
        var deadline = timeout > 0 ? DateTime.UtcNow.AddSeconds(timeout) : DateTime.MaxValue;
        while (true)
        {
            int r = Libc.WaitPidRetry(pid, out int status, Libc.WNOHANG);
            if (r == pid)
            {
                if (Libc.WIfExited(status) && Libc.WExitStatus(status) == 0) return null;
                return $"exit status {Libc.ExitCodeOf(status)}";
            }
            if (r < 0) return "wait failed";
            if (DateTime.UtcNow > deadline)
            {
                Libc.Kill(pid, Libc.SIGKILL);
                HostProcess.Wait(pid);
                return "timeout";
            }
            Thread.Sleep(2);
        }
    }
}
