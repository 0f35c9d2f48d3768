using Csrunsc.Native;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `run [--bundle B] [--detach] ID`: create + start, then (unless detached) wait for the
/// container, forward signals to it, delete it, and exit with its status (128+N for a signal).
/// --profile-seccomp FILE: at exit the sandbox writes to FILE an OCI linux.seccomp profile
/// allowing the syscalls the workload made (Sentry/Diagnostics/SeccompProfile).
/// With process.terminal in the foreground (no console socket) the terminal is proxied to the
/// caller's as runc does (<see cref="Sandbox.ConsoleProxy"/>); without one, the caller's terminals
/// reach the container as pipes (<see cref="Sandbox.StdioPipes"/>).
/// </summary>
public static class RunCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, [.. CreateCommand.ValueFlags, "profile-seccomp"], [.. CreateCommand.BoolFlags, "detach|d", "no-subreaper", "keep"], out string? error);
        if (error is not null)
        {
            Log.Error(error);
            return 1;
        }
        string? id = Containers.IdArg(a);
        bool detach = a.Flag("detach");
        global.ProfileSeccomp = a.Value("profile-seccomp");
        if (CreateCommand.Create(global, a, id, newSession: detach, out ContainerState? state, out error, out var console, out var pipes, foreground: !detach) != 0)
        {
            console?.Dispose();
            Log.Error("run failed: " + error);
            return 1;
        }
        console?.Start();
        pipes?.Start();
        // In the foreground, signals to `run` go to the container (the sandbox passes them to init).
        int sandboxPid = state!.Pid;
        using var forward = detach ? null : new SignalForwarder(sig => Libc.Kill(sandboxPid, sig), [Libc.SIGINT, Libc.SIGTERM, Libc.SIGHUP, Libc.SIGQUIT]);
        if (!StartCommand.Start(global, id, out error))
        {
            console?.Dispose();
            Log.Error("run failed: " + error);
            DeleteCommand.Delete(global, id!, force: true, out _);
            return 1;
        }
        if (detach) return 0;
        int status = HostProcess.Wait(state!.Pid);
        console?.Finish();
        pipes?.Finish();
        if (!a.Flag("keep")) DeleteCommand.Delete(global, id!, force: true, out _);
        return status < 0 ? 1 : Libc.ExitCodeOf(status);
    }
}
