using Csrunsc.Cli;
using Csrunsc.Native;
using Csrunsc.Oci;
using Csrunsc.State;

namespace Csrunsc.Sandbox;

/// <summary>
/// create of a pod member (<see cref="PodMembership"/>): starts the container's gofer, then its
/// proxy (`csrunsc container-proxy`), which has the pod's sandbox create the container, and waits
/// until its init is loaded and held, or failed.
/// </summary>
public static class MemberLauncher
{
    /// <summary>Returns the proxy's pid (the container's pid-file process) and the gofer's, or -1 with error (nothing left behind).</summary>
    public static int Launch(GlobalOptions global, string id, string bundle, string rootfs, OciSpec spec, ContainerState sandbox, string? consoleSocket, int consoleSlave,
        IReadOnlyDictionary<string, ulong> namespaces, bool newSession, out int goferPid, out string error, int[]? callerStdio = null)
    {
        error = "";
        // The gofer drops to the sandbox's host uid, as the sandbox's own gofer does.
        uint? goferUid = Environment.GetEnvironmentVariable("CSRUNSC_NO_CONFINE") == "1" ? null : Sentry.Boot.HostPrivileges.SandboxUid(sandbox.Pid);
        goferPid = GoferLauncher.Start(spec, bundle, rootfs, goferUid, -1, newSession: true, global.DebugLog, id, out int sentryEnd);
        if (goferPid < 0)
        {
            error = "cannot start the gofer: " + Errno.Name(-goferPid);
            return -1;
        }

        int[] stdio = callerStdio ?? [0, 1, 2];
        int slave = -1;
        if (spec.Process!.Terminal && consoleSlave >= 0)
        {
            // `run` keeps the master (ConsoleProxy): the slave is init's stdio as a console socket's would be.
            stdio = [consoleSlave, consoleSlave, consoleSlave];
        }
        else if (spec.Process!.Terminal)
        {
            if (consoleSocket is null) return Fail("cannot allocate tty if runc will detach without setting console socket", sentryEnd, ref goferPid, out error);
            if (Libc.OpenPty(out int master, out slave) < 0) return Fail("cannot open a pseudo-terminal", sentryEnd, ref goferPid, out error);
            if (spec.Process.ConsoleSize is { } size) BootCommand.SetWindowSize(master, size.Height, size.Width);
            int r = UnixSocket.SendConsole(consoleSocket, master);
            Libc.Close(master);
            if (r < 0)
            {
                Libc.Close(slave);
                return Fail($"cannot send the console to {consoleSocket}: {Errno.Name(-r)}", sentryEnd, ref goferPid, out error);
            }
            stdio = [slave, slave, slave];
        }

        if (HostProcess.Pipe(out int readyRead, out int readyWrite) < 0)
        {
            if (slave >= 0) Libc.Close(slave);
            return Fail("pipe: " + Errno.Name(Libc.LastErrno), sentryEnd, ref goferPid, out error);
        }
        var store = new StateStore(global.Root);
        var args = new List<string> { "csrunsc-container", "--root", global.Root };
        if (!string.IsNullOrEmpty(global.Log)) { args.Add("--log"); args.Add(global.Log); args.Add("--log-format"); args.Add(global.LogFormat); }
        args.AddRange(["container-proxy", "--control", store.ControlSocket(sandbox.Id), "--id", id, "--bundle", bundle,
            "--namespaces", NamespacePlan.Format(namespaces), "--ready-fd", "3", "--gofer-fd", "4"]);
        if (consoleSlave >= 0) args.Add("--clear-onlcr");
        int pid = HostProcess.Spawn(BootCommand.SelfPath, args, [(stdio[0], 0), (stdio[1], 1), (stdio[2], 2), (readyWrite, 3), (sentryEnd, 4)], newSession: newSession);
        Libc.Close(readyWrite);
        Libc.Close(sentryEnd);
        if (slave >= 0) Libc.Close(slave);
        if (pid < 0)
        {
            Libc.Close(readyRead);
            return Fail("cannot start the container's proxy: " + Errno.Name(-pid), -1, ref goferPid, out error);
        }
        string reply = HostProcess.ReadAll(readyRead).Trim();
        Libc.Close(readyRead);
        if (reply == "ok") return pid;
        HostProcess.Wait(pid);
        return Fail(reply.StartsWith("error ", StringComparison.Ordinal) ? reply[6..] : "the container's proxy exited during start-up", -1, ref goferPid, out error);
    }

    private static int Fail(string message, int sentryEnd, ref int goferPid, out string error)
    {
        error = message;
        if (sentryEnd >= 0) Libc.Close(sentryEnd);
        // Its channel closed, the gofer ends by itself; it is killed if it does not.
        WaitGofer(goferPid, SandboxProcess.StartTime(goferPid));
        goferPid = -1;
        return -1;
    }

    /// <summary>Waits for a member's gofer to end once the sandbox closed its channel (a zombie counts as ended), killing it after a grace period.</summary>
    public static void WaitGofer(int pid, ulong startTime)
    {
        if (pid <= 0) return;
        if (!SandboxProcess.WaitGone(pid, startTime, TimeSpan.FromSeconds(2))) SandboxProcess.Signal(pid, Libc.SIGKILL);
    }
}
