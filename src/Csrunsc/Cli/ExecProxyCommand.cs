using Csrunsc.Native;
using Csrunsc.Sandbox;

namespace Csrunsc.Cli;

/// <summary>
/// `exec-proxy --control SOCK --process B64 --ready-fd N` (internal): the host process standing
/// for an exec'd guest process. Signals it gets are relayed to the guest process; it exits with
/// the guest's status; if it is killed, the sandbox kills the guest process.
/// </summary>
public static class ExecProxyCommand
{
    public static int Run(string[] args)
    {
        var a = CommandArgs.Parse(args, ["control", "process", "ready-fd", "container"], [], out string? error);
        int ready = int.TryParse(a.Value("ready-fd"), out int r) ? r : -1;
        if (error is not null || a.Value("control") is null || a.Value("process") is null)
        {
            Log.Error(error ?? "exec-proxy: --control and --process are required");
            return 1;
        }
        string request = "exec " + a.Value("process")!;
        if (a.Value("container") is { } member) request = $"@{member} {request}";
        return Proxy(control: a.Value("control")!, request, [0, 1, 2], ready);
    }

    /// <summary>
    /// Sends request (exec, or a pod member's create) with the stdio fds (after leadingFd, when
    /// given: a member's gofer connection), reports readiness, relays signals to the guest process
    /// the reply names, and returns its exit status. console: the terminal exec proxies itself
    /// (stdio is its slave), started once the process is and finished when it exits; SIGWINCH is
    /// then its own (a resize), not relayed, as runc's signal handler. pipes: the caller's terminals
    /// relayed as pipes (stdio holds their guest ends), started and finished likewise.
    /// </summary>
    public static int Proxy(string control, string request, int[] stdio, int readyFd, int leadingFd = -1, ConsoleProxy? console = null, int[]? trailingFds = null,
        StdioPipes? pipes = null)
    {
        try
        {
            return ProxyTo(control, request, stdio, readyFd, leadingFd, console, trailingFds ?? [], pipes);
        }
        finally
        {
            console?.Dispose();
            pipes?.Dispose();
        }
    }

    private static int ProxyTo(string control, string request, int[] stdio, int readyFd, int leadingFd, ConsoleProxy? console, int[] trailingFds, StdioPipes? pipes)
    {
        int fd = UnixSocket.Connect(control);
        if (fd < 0) return Report(readyFd, "the sandbox is not reachable: " + Errno.Name(-fd));
        // The sandbox gets descriptions of its own (non-blocking, for its poller), not ours.
        int[] own = new int[stdio.Length];
        for (int i = 0; i < stdio.Length; i++) own[i] = HostFdImport.ReopenNonBlocking(stdio[i]);
        int[] handed = stdio.Select((f, i) => own[i] >= 0 ? own[i] : f).ToArray();
        if (leadingFd >= 0) handed = [leadingFd, .. handed];
        handed = [.. handed, .. trailingFds];
        bool sent = ControlClient.Exchange(fd, request, out string reply, handed);
        foreach (int o in own.Where(o => o >= 0).Distinct()) Libc.Close(o);
        if (leadingFd >= 0) Libc.Close(leadingFd);
        foreach (int t in trailingFds) Libc.Close(t);
        if (!sent) return Report(readyFd, reply);
        int guestPid = int.Parse(reply, System.Globalization.CultureInfo.InvariantCulture);
        if (readyFd >= 0)
        {
            Libc.WriteString(readyFd, "ok\n");
            Libc.Close(readyFd);
        }
        // Signals sent to this proxy (the exec's pid file) go to the guest process.
        using var relay = new SignalForwarder(sig => ControlClient.Request(control, $"signal {guestPid} {sig}", out _),
            console is null ? null : SignalForwarder.ContainerSignals.Where(s => s != Libc.SIGWINCH));
        console?.Start();
        pipes?.Start();
        int code = 255;
        if (UnixSocket.ReadLine(fd, out string line) && line.StartsWith("exit ", StringComparison.Ordinal))
            code = int.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture);
        Libc.Close(fd);
        console?.Finish();
        pipes?.Finish();
        return code;
    }

    private static int Report(int readyFd, string error)
    {
        if (readyFd >= 0)
        {
            Libc.WriteString(readyFd, "error " + error + "\n");
            Libc.Close(readyFd);
        }
        else
        {
            // A foreground exec: its failure is exec's failure (runc: exit 255, "exec failed: ...").
            return ExecCommand.Fail(error);
        }
        return 1;
    }
}
