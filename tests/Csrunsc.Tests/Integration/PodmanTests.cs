using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// podman 4.3 + conmon 2.1 driving the runtime (`podman --runtime PATH`): run --rm output and
/// exit status, a detached container with exec, exec -t (also -it from a real pty, typed into late
/// and with ^C), pause/unpause, stop (SIGTERM, then
/// SIGKILL after the timeout) and rm.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class PodmanTests(IntegrationFixture fixture)
{
    [PodmanTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void RunRmDeliversOutputAndExitStatus(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var podman = fixture.Podman;
        CommandResult Podman(params string[] args) => session.Note(podman.Podman(session.Runtime, session.Runtime.OperationTimeout, args));

        var echo = session.ExpectSuccess(Podman("run", "--rm", "--network", "none", PodmanEnvironment.ImageName, "echo", "hi"),
            "podman run --rm --network none localhost/bb:1 echo hi");
        session.Check(echo.Stdout == "hi\n", $"stdout should be \"hi\\n\":\n{echo}");

        var exit = session.Expect(Podman("run", "--rm", "--network", "none", PodmanEnvironment.ImageName, "sh", "-c", "echo out; echo err >&2; exit 3"), 3,
            "podman run --rm ... sh -c 'echo out; echo err >&2; exit 3'");
        session.Check(exit.Stdout == "out\n" && exit.Stderr.Contains("err", StringComparison.Ordinal), $"stdout should be \"out\\n\" and stderr \"err\":\n{exit}");
        AssertNothingLeft(session, podman, []);
    }

    [PodmanTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void DetachedExecTtyPauseStopRm(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var podman = fixture.Podman;
        CommandResult Podman(params string[] args) => session.Note(podman.Podman(session.Runtime, session.Runtime.OperationTimeout, args));
        string Inspect(string name, string format) => Podman("inspect", "--format", format, name).Stdout.Trim();
        var name = session.NewId("podman");
        session.OnCleanup(() => podman.Podman(session.Runtime, TimeSpan.FromSeconds(30), "rm", "--force", "--time", "0", name));

        session.ExpectSuccess(Podman("run", "-d", "--name", name, "--network", "none", PodmanEnvironment.ImageName, "sleep", "1000"),
            "podman run -d ... sleep 1000");
        session.Check(Inspect(name, "{{.State.Status}}") == "running", $"container should be running, is {Inspect(name, "{{.State.Status}}")}");
        var pid = int.Parse(Inspect(name, "{{.State.Pid}}"));
        session.Check(pid > 0 && HostInspector.IsAlive(pid), $"podman reports pid {pid}, which is not a live host process");

        var exec = session.Expect(Podman("exec", name, "sh", "-c", "echo in-exec; exit 5"), 5, "podman exec NAME sh -c 'echo in-exec; exit 5'");
        session.Check(exec.Stdout == "in-exec\n", $"exec's stdout should be \"in-exec\\n\":\n{exec}");

        var tty = session.Expect(session.Note(Shell.Run(session.Runtime.OperationTimeout, "script",
                ["-qec", podman.CommandLine(session.Runtime, "exec", "-t", name, "sh", "-c", "tty; echo tty-ok; exit 4"), "/dev/null"])),
            4, "script -qec 'podman exec -t NAME sh -c \"tty; exit 4\"'");
        session.Check(tty.Stdout.Contains("/dev/pts/", StringComparison.Ordinal) && tty.Stdout.Contains("tty-ok", StringComparison.Ordinal),
            $"exec -t should give the process a pty (/dev/pts/N) and its output should arrive:\n{tty}");

        session.ExpectSuccess(Podman("pause", name), "podman pause");
        session.Check(Inspect(name, "{{.State.Status}}") == "paused", $"container should be paused, is {Inspect(name, "{{.State.Status}}")}");
        session.ExpectSuccess(Podman("unpause", name), "podman unpause");
        session.Check(Inspect(name, "{{.State.Status}}") == "running", $"container should be running again, is {Inspect(name, "{{.State.Status}}")}");
        session.Expect(Podman("exec", name, "true"), 0, "podman exec after unpause");

        // `sleep` as init ignores SIGTERM: podman sends `kill 15`, waits 2 s, then `kill 9`.
        session.ExpectSuccess(Podman("stop", "--time", "2", name), "podman stop --time 2");
        session.Check(Inspect(name, "{{.State.Status}}") == "exited", $"container should have exited, is {Inspect(name, "{{.State.Status}}")}");
        session.Check(Inspect(name, "{{.State.ExitCode}}") == "137", $"exit code after SIGKILL should be 137, is {Inspect(name, "{{.State.ExitCode}}")}");

        session.ExpectSuccess(Podman("rm", name), "podman rm");
        session.Check(!Podman("container", "exists", name).Succeeded, $"container {name} still exists after podman rm");
        AssertNothingLeft(session, podman, [name], pid);
    }

    /// <summary>
    /// podman's own network (a netavark bridge the test creates on a private subnet, guarded so
    /// nothing is forwarded off the machine) with a published port: busybox httpd in the
    /// container, fetched from the host through 127.0.0.1:PORT.
    /// </summary>
    [PodmanTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void PublishedPortServesHttpToTheHost(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var podman = fixture.Podman;
        CommandResult Podman(params string[] args) => session.Note(podman.Podman(session.Runtime, session.Runtime.OperationTimeout, args));
        int n = Environment.ProcessId % 200 + (runtime == "runc" ? 10 : 30);
        string net = $"csrtest{n}", subnet = $"10.77.{n}.0/24";
        string bridge = "";
        var name = session.NewId("podman-net");
        int port = 19000 + n;
        session.OnCleanup(() =>
        {
            podman.Podman(session.Runtime, TimeSpan.FromSeconds(30), "rm", "--force", "--time", "0", name);
            podman.Podman(null, TimeSpan.FromSeconds(30), "network", "rm", "--force", net);
            if (bridge.Length > 0) Shell.Run(TimeSpan.FromSeconds(10), "iptables", ["-D", "FORWARD", "-i", bridge, "!", "-o", bridge, "-j", "DROP"]);
        });
        session.ExpectSuccess(podman.Podman(null, session.Runtime.OperationTimeout, "network", "create", "--subnet", subnet, net),
            "podman network create");
        bridge = podman.Podman(null, session.Runtime.OperationTimeout, "network", "inspect", "--format", "{{.NetworkInterface}}", net).Stdout.Trim();
        session.Check(bridge.Length > 0, "podman network inspect should name the network's bridge");
        // Nothing from the bridge leaves the machine: only traffic between the bridge's own ports is forwarded.
        session.ExpectSuccess(Shell.Run(TimeSpan.FromSeconds(10), "iptables", ["-I", "FORWARD", "-i", bridge, "!", "-o", bridge, "-j", "DROP"]),
            "iptables guard for the bridge");
        session.ExpectSuccess(Podman("run", "-d", "--name", name, "--network", net, "--dns", "127.0.0.1", "-p", $"127.0.0.1:{port}:8080",
            PodmanEnvironment.ImageName, "sh", "-c", $"mkdir /www && echo served-by-{runtime} > /www/index.html && exec httpd -f -p 8080 -h /www"),
            "podman run -d -p ... httpd");
        string body = "";
        for (int i = 0; i < 50 && body.Length == 0; i++)
        {
            var get = Shell.Run(TimeSpan.FromSeconds(10), "wget", ["-q", "-O", "-", $"http://127.0.0.1:{port}/index.html"]);
            body = get.Succeeded ? get.Stdout : "";
            if (body.Length == 0) Thread.Sleep(100);
        }
        session.Check(body == $"served-by-{runtime}\n", $"GET through the published port should return the page, got '{body}'");
        var ip = Podman("exec", name, "ip", "-4", "-o", "addr", "show", "eth0");
        session.Check(ip.Stdout.Contains($"10.77.{n}.", StringComparison.Ordinal), $"eth0 should have an address on {subnet}:\n{ip}");
        session.ExpectSuccess(Podman("rm", "--force", "--time", "0", name), "podman rm --force");
        AssertNothingLeft(session, podman, [name]);
    }

    /// <summary>
    /// A podman pod sharing its pid, IPC, UTS and network namespaces (`pod create --share
    /// pid,ipc,net,uts`; podman names the infra container as io.kubernetes.cri-o.SandboxID of the
    /// others): under csrunsc its containers run in the infra container's Sentry. Two containers share
    /// a SysV segment, a POSIX queue, the pod's hostname and 127.0.0.1, and exit with their own codes.
    /// </summary>
    [PodmanTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void PodSharingItsNamespacesRunsInOneSandbox(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var podman = fixture.Podman;
        CommandResult Podman(params string[] args) => session.Note(podman.Podman(session.Runtime, session.Runtime.OperationTimeout, args));
        var podShare = Path.Join(session.Runtime.ScratchDir, "pod_share");
        Differential.HostCommand.Run("gcc", "-static", "-O1", "-Wall", "-o", podShare, Path.Join(Differential.RepositoryLayout.ProgramsDir, "pod_share.c"));
        var pod = session.NewId("podman-pod");
        session.OnCleanup(() => podman.Podman(session.Runtime, TimeSpan.FromSeconds(30), "pod", "rm", "--force", "--time", "0", pod));
        session.ExpectSuccess(Podman("pod", "create", "--name", pod, "--hostname", "mypod", "--share", "pid,ipc,net,uts", "--network", "none",
            "--infra-image", PodmanEnvironment.ImageName, "--infra-command", "sleep 1000"), "podman pod create --share pid,ipc,net,uts");
        var serve = pod + "-serve";
        var join = pod + "-join";
        string[] App(string name) => ["--pod", pod, "--name", name, "-v", podShare + ":/pod_share:ro", PodmanEnvironment.ImageName, "/pod_share"];
        session.ExpectSuccess(Podman(["run", "-d", .. App(serve), "serve"]), "podman run -d --pod (serve)");
        var joined = session.Expect(Podman(["run", .. App(join), "join"]), 3, "podman run --pod (join)");
        session.Check(joined.Stdout == "join hostname mypod\njoin shm shm-from-serve\njoin mq mq-from-serve\njoin tcp echo:hello-over-localhost\n",
            $"the joining container should see the pod's hostname, the server's SysV segment and POSIX queue, and reach it over 127.0.0.1:\n{joined}");
        var served = Podman("wait", serve);
        session.Check(served.Stdout.Trim() == "0", $"the serving container should exit 0: {served}");
        var serveLog = Podman("logs", serve);
        session.Check(serveLog.Stdout == "serve hostname mypod\nserve ready\nserve saw the joiner's mark: yes\n", $"the serving container's output: {serveLog}");
        if (runtime == IntegrationRuntimes.Csrunsc)
        {
            var infra = Podman("pod", "inspect", "--format", "{{.InfraContainerID}}", pod).Stdout.Trim();
            var sentries = HostInspector.LiveProcesses(p => p.CommandLine.Contains(" boot ", StringComparison.Ordinal) && p.CommandLine.Contains(podman.Dir, StringComparison.Ordinal));
            session.Check(infra.Length > 0 && sentries.Count == 1 && sentries[0].CommandLine.Contains(infra, StringComparison.Ordinal),
                $"the pod should run in one Sentry, the infra container's ({infra}):\n  {string.Join("\n  ", sentries.Select(p => $"{p.Pid} {p.CommandLine}"))}");
        }

        session.ExpectSuccess(Podman("pod", "rm", "--force", "--time", "0", pod), "podman pod rm --force");
        AssertNothingLeft(session, podman, [pod, serve, join]);
    }

    /// <summary>
    /// `podman exec -it` from a user's terminal (<see cref="CallerTerminal"/>): podman puts it in raw
    /// mode and copies it through conmon's attach socket to the console the runtime handed conmon.
    /// The line is typed 1.5 s after the shell waits in `read`, five times; then an interactive
    /// shell: ^C to a `sleep 100`, a resize; then ^D to `cat` and ^C to the shell (<see cref="InteractiveExec"/>).
    /// </summary>
    [PodmanTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void ExecInteractiveTtyFromATerminalTakesLateInputCtrlCAndResize(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var podman = fixture.Podman;
        CommandResult Podman(params string[] args) => session.Note(podman.Podman(session.Runtime, session.Runtime.OperationTimeout, args));
        var name = session.NewId("podmanit");
        session.OnCleanup(() => podman.Podman(session.Runtime, TimeSpan.FromSeconds(30), "rm", "--force", "--time", "0", name));
        session.ExpectSuccess(Podman("run", "-d", "--name", name, "--network", "none", PodmanEnvironment.ImageName, "sleep", "1000"),
            "podman run -d ... sleep 1000");
        var pid = int.Parse(Podman("inspect", "--format", "{{.State.Pid}}", name).Stdout.Trim());
        CallerTerminal Exec(string[] args) =>
            CallerTerminal.Command(podman.Argv(session.Runtime, ["exec", "-it", name, .. args]), podman.Environment);

        InteractiveExec.LateLine(session, "podman exec -it", _ => Exec(InteractiveExec.ReadOneLine));
        using (var t = Exec(InteractiveExec.Shell))
        {
            InteractiveExec.InteractiveShell(session, "podman exec -it", t);
        }

        using (var t = Exec(InteractiveExec.CatThenSleep))
        {
            InteractiveExec.CtrlCAndEof(session, "podman exec -it", t);
        }

        session.ExpectSuccess(Podman("rm", "--force", "--time", "0", name), "podman rm --force");
        AssertNothingLeft(session, podman, [name], pid);
    }

    /// <summary>
    /// `podman run --rm -it` from a user's terminal: the same steps as
    /// <see cref="ExecInteractiveTtyFromATerminalTakesLateInputCtrlCAndResize"/> with the shell as
    /// the container's init (the console of `create --console-socket`, not of `exec`).
    /// </summary>
    [PodmanTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void RunInteractiveTtyFromATerminalTakesLateInputCtrlCAndResize(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var podman = fixture.Podman;
        var names = new List<string>();
        CallerTerminal Run(string[] args)
        {
            var name = session.NewId("podmanrunit");
            names.Add(name);
            session.OnCleanup(() => podman.Podman(session.Runtime, TimeSpan.FromSeconds(30), "rm", "--force", "--time", "0", name));
            return CallerTerminal.Command(podman.Argv(session.Runtime, ["run", "--rm", "-it", "--name", name, "--network", "none", PodmanEnvironment.ImageName, .. args]),
                podman.Environment);
        }

        InteractiveExec.LateLine(session, "podman run --rm -it", _ => Run(InteractiveExec.ReadOneLine), times: 2);
        using (var t = Run(InteractiveExec.Shell))
        {
            InteractiveExec.InteractiveShell(session, "podman run --rm -it", t);
        }

        AssertNothingLeft(session, podman, [.. names]);
    }

    private static void AssertNothingLeft(IntegrationSession session, PodmanEnvironment podman, string[] names, params int[] pids) =>
        session.AssertNothingLeft(names, pids, [session.Runtime.ScratchDir, Path.GetDirectoryName(session.Runtime.Binary)!, podman.Dir]);
}
