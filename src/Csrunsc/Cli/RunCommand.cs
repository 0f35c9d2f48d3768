using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Oci;
using Csrunsc.Sandbox;

namespace Csrunsc.Cli;

/// <summary>
/// `csrunsc run [--bundle B] ID`: validates the bundle, starts the gofer and the sandbox process,
/// forwards signals, and exits with the container's status (128+N for a signal).
/// </summary>
public static class RunCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        string bundle = Directory.GetCurrentDirectory();
        string? id = null;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "-b": case "--bundle": bundle = args[++i]; break;
                case "--pid-file": case "--console-socket": i++; break;
                case "-d": case "--detach": case "--no-pivot": case "--no-new-keyring": case "--no-subreaper": case "--keep": break;
                default:
                    if (a.StartsWith("--bundle=", StringComparison.Ordinal)) bundle = a[9..];
                    else if (a.StartsWith('-')) { Log.Error($"flag provided but not defined: {a}"); return 1; }
                    else id = a;
                    break;
            }
        }
        if (string.IsNullOrEmpty(id))
        {
            Log.Error("run: container id cannot be empty");
            return 1;
        }
        if (BundleLoader.Load(bundle, out OciSpec? spec, out string rootfs, out string error) != 0)
        {
            Log.Error("run failed: " + error);
            return BundleLoader.ExitFailure;
        }
        bundle = Path.GetFullPath(bundle);
        string stateDir = Path.Combine(global.Root, id);
        try
        {
            Directory.CreateDirectory(global.Root);
            Directory.CreateDirectory(stateDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Error($"run failed: cannot create state directory {stateDir}: {e.Message}");
            return 1;
        }
        try
        {
            return RunSandbox(spec!, bundle, rootfs, stateDir, global);
        }
        finally
        {
            try { Directory.Delete(stateDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static int RunSandbox(OciSpec spec, string bundle, string rootfs, string stateDir, GlobalOptions global)
    {
        string self = Environment.ProcessPath ?? "/proc/self/exe";
        string sandboxDir = Path.Combine(stateDir, "sandbox");
        Directory.CreateDirectory(sandboxDir);
        var plan = MountPlan.From(spec, bundle);

        if (HostProcess.SocketPair(out int sentryEnd, out int goferEnd) < 0)
        {
            Log.Error("run failed: socketpair: " + Errno.Name(Libc.LastErrno));
            return 1;
        }
        var goferArgs = new List<string> { "csrunsc-gofer", "gofer", "--fd", "3", "--rootfs", rootfs };
        if (spec.Root?.Readonly == true) goferArgs.Add("--ro");
        foreach (var (guest, host, ro) in plan.GoferBinds) { goferArgs.Add("--bind"); goferArgs.Add($"{guest}={host}{(ro ? ":ro" : "")}"); }
        int goferPid = HostProcess.Spawn(self, goferArgs, [(0, 0), (1, 1), (2, 2), (goferEnd, 3)]);
        Libc.Close(goferEnd);
        if (goferPid < 0)
        {
            Libc.Close(sentryEnd);
            Log.Error("run failed: cannot start the gofer: " + Errno.Name(-goferPid));
            return 1;
        }

        if (Environment.GetEnvironmentVariable("CSRUNSC_DEBUG_IN_PROCESS") == "1")
        {
            // Debugging aid: the Sentry runs in this process (attach gdb to one process).
            int code = Sentry.Boot.SandboxRunner.Run(BootCommand.OptionsFrom(spec, bundle, sandboxDir, global), sentryEnd);
            HostProcess.Wait(goferPid);
            return code;
        }
        var bootArgs = new List<string> { "csrunsc-sandbox", "--root", global.Root };
        if (global.Strace) bootArgs.Add("--strace");
        if (!string.IsNullOrEmpty(global.DebugLog)) { bootArgs.Add("--debug-log"); bootArgs.Add(global.DebugLog); }
        bootArgs.AddRange(["boot", "--bundle", bundle, "--fd", "3", "--sandbox-dir", sandboxDir]);
        int sandboxPid = HostProcess.Spawn(self, bootArgs, [(0, 0), (1, 1), (2, 2), (sentryEnd, 3)]);
        Libc.Close(sentryEnd);
        if (sandboxPid < 0)
        {
            Libc.Kill(goferPid, Libc.SIGKILL);
            HostProcess.Wait(goferPid);
            Log.Error("run failed: cannot start the sandbox: " + Errno.Name(-sandboxPid));
            return 1;
        }

        var forwards = new List<PosixSignalRegistration>();
        foreach (var (ps, num) in new[] { (PosixSignal.SIGINT, Libc.SIGINT), (PosixSignal.SIGTERM, Libc.SIGTERM), (PosixSignal.SIGHUP, Libc.SIGHUP), (PosixSignal.SIGQUIT, Libc.SIGQUIT) })
        {
            int n = num;
            forwards.Add(PosixSignalRegistration.Create(ps, c => { c.Cancel = true; Libc.Kill(sandboxPid, n); }));
        }
        int status = HostProcess.Wait(sandboxPid);
        foreach (var f in forwards) f.Dispose();
        // The gofer exits when the sandbox's end of the socket closes.
        if (HostProcess.Wait(goferPid) < 0) Libc.Kill(goferPid, Libc.SIGKILL);
        return status < 0 ? 1 : Libc.ExitCodeOf(status);
    }
}
