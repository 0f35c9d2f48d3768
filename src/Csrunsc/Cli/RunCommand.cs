using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `run [--bundle B] [--detach] ID`: create + start, then (unless detached) wait for the
/// container, forward signals to it, delete it, and exit with its status (128+N for a signal).
/// </summary>
public static class RunCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, CreateCommand.ValueFlags, [.. CreateCommand.BoolFlags, "detach|d", "no-subreaper", "keep"], out string? error);
        if (error is not null)
        {
            Log.Error(error);
            return 1;
        }
        string? id = Containers.IdArg(a);
        bool detach = a.Flag("detach");
        if (CreateCommand.Create(global, a, id, newSession: detach, out ContainerState? state, out error) != 0)
        {
            Log.Error("run failed: " + error);
            return 1;
        }
        var forwards = new List<PosixSignalRegistration>();
        if (!detach)
        {
            foreach (var (ps, num) in new[] { (PosixSignal.SIGINT, Libc.SIGINT), (PosixSignal.SIGTERM, Libc.SIGTERM), (PosixSignal.SIGHUP, Libc.SIGHUP), (PosixSignal.SIGQUIT, Libc.SIGQUIT) })
            {
                int n = num, pid = state!.Pid;
                forwards.Add(PosixSignalRegistration.Create(ps, c => { c.Cancel = true; Libc.Kill(pid, n); }));
            }
        }
        if (!StartCommand.Start(global, id, out error))
        {
            Log.Error("run failed: " + error);
            DeleteCommand.Delete(global, id!, force: true, out _);
            return 1;
        }
        if (detach) return 0;
        int status = HostProcess.Wait(state!.Pid);
        foreach (var f in forwards) f.Dispose();
        if (!a.Flag("keep")) DeleteCommand.Delete(global, id!, force: true, out _);
        return status < 0 ? 1 : Libc.ExitCodeOf(status);
    }
}
