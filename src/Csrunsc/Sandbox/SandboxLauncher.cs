using Csrunsc.Cli;
using Csrunsc.Native;

namespace Csrunsc.Sandbox;

/// <summary>Starts the sandbox process (`csrunsc boot`) and waits until it has loaded init, or failed.</summary>
public static class SandboxLauncher
{
    /// <summary>
    /// Returns the sandbox pid, or -1 with error set (the sandbox has then exited). The terminal, when
    /// process.terminal: sent to consoleSocket, or consoleSlave (a host pty slave whose master the
    /// caller keeps, <see cref="ConsoleProxy"/>). stdio: the sandbox's fds 0-2 when not the caller's own
    /// (<see cref="StdioPipes"/>).
    /// </summary>
    public static int Launch(GlobalOptions global, string id, string bundle, string? consoleSocket, int consoleSlave, IReadOnlyDictionary<string, ulong> namespaces, bool newSession,
        IReadOnlyList<int> cgroupProcs, out string error, int[]? stdio = null)
    {
        error = "";
        if (HostProcess.Pipe(out int readyRead, out int readyWrite) < 0)
        {
            error = "pipe: " + Errno.Name(Libc.LastErrno);
            return -1;
        }
        var args = new List<string> { "csrunsc-sandbox", "--root", global.Root };
        if (global.Platform != "ptrace") { args.Add("--platform"); args.Add(global.Platform); }
        if (global.Strace) args.Add("--strace");
        if (!string.IsNullOrEmpty(global.StraceSyscalls)) { args.Add("--strace-syscalls"); args.Add(global.StraceSyscalls); }
        if (global.Debug) args.Add("--debug");
        if (!string.IsNullOrEmpty(global.Log)) { args.Add("--log"); args.Add(global.Log); args.Add("--log-format"); args.Add(global.LogFormat); }
        if (!string.IsNullOrEmpty(global.DebugLog)) { args.Add("--debug-log"); args.Add(global.DebugLog); }
        args.AddRange(["boot", "--bundle", bundle, "--id", id, "--ready-fd", "3"]);
        if (consoleSocket is not null) { args.Add("--console-socket"); args.Add(consoleSocket); }
        if (consoleSlave >= 0) { args.Add("--console-fd"); args.Add("5"); }
        int profileFd = -1;
        if (global.ProfileSeccomp is { } profile)
        {
            profileFd = Libc.OpenPath(profile, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC | Libc.O_CLOEXEC, 0x1a4);
            if (profileFd < 0)
            {
                Libc.Close(readyRead);
                Libc.Close(readyWrite);
                error = $"open {profile}: {Errno.Name(Libc.LastErrno)}";
                return -1;
            }
            args.Add("--profile-fd");
            args.Add("4");
        }
        if (namespaces.Count > 0) { args.Add("--namespaces"); args.Add(NamespacePlan.Format(namespaces)); }
        // The container's cgroup.procs files, at fds 6.. : the sandbox joins them before it starts anything.
        if (cgroupProcs.Count > 0)
        {
            args.Add("--cgroup-fds");
            args.Add(string.Join(',', Enumerable.Range(6, cgroupProcs.Count)));
        }
        // With a terminal the container's stdio is the pty: our own stdio (a pipe the caller reads to
        // EOF, as containerd's shim does) must not stay open in the long-lived sandbox.
        int devNull = consoleSocket is null && consoleSlave < 0 ? -1 : Libc.OpenPath("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC);
        stdio ??= [0, 1, 2];
        (int, int)[] fds = devNull < 0
            ? [(stdio[0], 0), (stdio[1], 1), (stdio[2], 2), (readyWrite, 3)]
            : [(devNull, 0), (devNull, 1), (devNull, 2), (readyWrite, 3)];
        if (profileFd >= 0) fds = [.. fds, (profileFd, 4)];
        if (consoleSlave >= 0) fds = [.. fds, (consoleSlave, 5)];
        for (int i = 0; i < cgroupProcs.Count; i++) fds = [.. fds, (cgroupProcs[i], 6 + i)];
        // The .NET diagnostics IPC socket goes into the state directory (`csrunsc debug --counters/--trace`).
        string? diagDir = Diagnostics.DiagnosticsEndpoint.DirectoryFor(new State.StateStore(global.Root), id);
        if (diagDir is not null) Directory.CreateDirectory(diagDir);
        int pid = HostProcess.Spawn(BootCommand.SelfPath, args, fds, Diagnostics.DiagnosticsEndpoint.Environment(diagDir), newSession: newSession);
        Libc.Close(readyWrite);
        if (devNull >= 0) Libc.Close(devNull);
        if (profileFd >= 0) Libc.Close(profileFd);
        if (pid < 0)
        {
            Libc.Close(readyRead);
            error = "cannot start the sandbox process: " + Errno.Name(-pid);
            return -1;
        }
        string reply = HostProcess.ReadAll(readyRead).Trim();
        Libc.Close(readyRead);
        if (reply == "ok") return pid;
        error = reply.StartsWith("error ", StringComparison.Ordinal) ? reply[6..] : "the sandbox process exited during start-up";
        Libc.Kill(pid, Libc.SIGKILL);
        HostProcess.Wait(pid);
        return -1;
    }
}
