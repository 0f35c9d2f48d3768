using System.Text;
using System.Text.Json.Nodes;
using Csrunsc.Native;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// A user's terminal running `RUNTIME run` or `RUNTIME exec -t` in the foreground without a console
/// socket, so the runtime proxies its own pty to this terminal (runc's tty.go; csrunsc's
/// Sandbox/ConsoleProxy). The test is the terminal emulator: it holds the master of a host pty
/// whose slave is the runtime's stdin, stdout, stderr and controlling terminal (`setsid -c`, so a
/// resize sends the runtime SIGWINCH as a shell's foreground job gets it); it types, reads the
/// screen, resizes, and looks at the terminal's mode while and after the runtime runs.
/// <see cref="Command"/> puts any other client there instead (`ctr task exec --tty`, `podman exec -it`).
/// </summary>
public sealed unsafe class CallerTerminal : IDisposable
{
    private readonly int _master, _slave, _pid;
    private readonly string? _runtime, _stateRoot;
    private readonly string? _cleanupId;
    private readonly StringBuilder _screen = new();
    private int _mark;
    private int? _status;

    private CallerTerminal(int master, int slave, int pid, string? runtime, string? stateRoot, string? cleanupId)
    {
        _master = master;
        _slave = slave;
        _pid = pid;
        _runtime = runtime;
        _stateRoot = stateRoot;
        _cleanupId = cleanupId;
    }

    /// <summary>Everything the terminal has shown so far.</summary>
    public string Screen => _screen.ToString();

    /// <summary>The terminal's mode before the runtime started (stty's view: lflag, oflag, iflag).</summary>
    public string ModeBefore { get; private set; } = "";

    /// <summary>
    /// `RUNTIME run` of a bundle whose process.terminal is terminal (true unless asked), args run
    /// with env added; detach: `run --detach` (the container keeps this terminal as its stdio).
    /// </summary>
    public static CallerTerminal Run(DifferentialFixture fixture, string runtime, string[] args, string[] env, ushort rows = 24, ushort cols = 80,
        bool terminal = true, bool detach = false)
    {
        var runner = fixture.Runner;
        string id = runner.NewContainerId(runtime);
        string bundle = runner.CreateBundle(id, args, config =>
        {
            var process = (JsonObject)config["process"]!;
            process["terminal"] = terminal;
            var list = (JsonArray)process["env"]!;
            foreach (var e in env) list.Add((JsonNode)JsonValue.Create(e));
        });
        string stateRoot = fixture.StateRootFor(runtime);
        return Start(runtime, stateRoot, detach ? ["run", "--detach", "--bundle", bundle, id] : ["run", "--bundle", bundle, id], rows, cols, cleanupId: id);
    }

    /// <summary>`RUNTIME exec -t ID args` (tty: false, plain `exec`) in a running container (the caller cleans the container up).</summary>
    public static CallerTerminal Exec(DifferentialFixture fixture, string runtime, string id, string[] args, string[] env, ushort rows = 24, ushort cols = 80,
        bool tty = true)
    {
        var argv = new List<string> { "exec" };
        if (tty) argv.Add("-t");
        foreach (var e in env) argv.AddRange(["--env", e]);
        argv.Add(id);
        argv.AddRange(args);
        return Start(runtime, fixture.StateRootFor(runtime), argv, rows, cols, cleanupId: null);
    }

    /// <summary>
    /// Any program with this terminal as its stdio and controlling terminal: a client that proxies
    /// it further (`ctr task exec --tty`, `podman exec -it`). The program is found on $PATH and gets
    /// this process's environment plus <paramref name="env"/>; the caller cleans up what it starts.
    /// </summary>
    public static CallerTerminal Command(IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? env = null, ushort rows = 24, ushort cols = 80)
    {
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => env is null || !env.ContainsKey(k))
            .Select(k => k + "=" + Environment.GetEnvironmentVariable(k))
            .Concat(env?.Select(e => e.Key + "=" + e.Value) ?? [])
            .ToList();
        var (master, slave, pid, before) = Spawn(["setsid", "-c", .. command], environment, rows, cols);
        return new CallerTerminal(master, slave, pid, null, null, cleanupId: null) { ModeBefore = before };
    }

    private static CallerTerminal Start(string runtime, string stateRoot, IReadOnlyList<string> command, ushort rows, ushort cols, string? cleanupId)
    {
        var (master, slave, pid, before) = Spawn(["setsid", "-c", ContainerRunner.ResolveRuntime(runtime), "--root", stateRoot, .. command], null, rows, cols);
        return new CallerTerminal(master, slave, pid, runtime, stateRoot, cleanupId) { ModeBefore = before };
    }

    /// <summary>`setsid -c ...` (argv[0] is setsid) on a new host pty of rows x cols.</summary>
    private static (int Master, int Slave, int Pid, string ModeBefore) Spawn(IReadOnlyList<string> argv, IReadOnlyList<string>? env, ushort rows, ushort cols)
    {
        if (Libc.OpenPty(out int master, out int slave) < 0) throw new InvalidOperationException("openpty failed");
        ushort* ws = stackalloc ushort[4] { rows, cols, 0, 0 };
        Libc.Ioctl(master, Libc.TIOCSWINSZ, ws);
        string before = Mode(slave);
        // setsid -c: a session of the program's own whose controlling terminal is this one, as a login shell's job.
        int pid = Csrunsc.Native.HostProcess.Spawn("/usr/bin/setsid", argv, [(slave, 0), (slave, 1), (slave, 2)], env);
        if (pid < 0)
        {
            Libc.Close(master);
            Libc.Close(slave);
            throw new InvalidOperationException("cannot start setsid: " + pid);
        }
        return (master, slave, pid, before);
    }

    /// <summary>The caller's terminal's mode now: the flags runc's SetRaw changes.</summary>
    public string ModeNow() => Mode(_slave);

    private static string Mode(int fd)
    {
        byte* t = stackalloc byte[64];
        if (Libc.Ioctl(fd, Libc.TCGETS, t) < 0) return "tcgets failed";
        uint* f = (uint*)t;
        static string Flag(uint v, uint bit, string name) => ((v & bit) != 0 ? "" : "-") + name;
        return string.Join(' ', Flag(f[3], 0x2, "icanon"), Flag(f[3], 0x8, "echo"), Flag(f[3], 0x1, "isig"), Flag(f[0], 0x100, "icrnl"),
            Flag(f[0], 0x400, "ixon"), Flag(f[1], 0x1, "opost"), Flag(f[1], 0x4, "onlcr"), $"min={t[17 + 6]}");
    }

    public void Type(string text)
    {
        byte[] b = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = b) Libc.Write(_master, p, b.Length);
    }

    /// <summary>TIOCSWINSZ on the master, as a terminal emulator does when its window changes (SIGWINCH to the runtime).</summary>
    public void Resize(ushort rows, ushort cols)
    {
        ushort* ws = stackalloc ushort[4] { rows, cols, 0, 0 };
        Libc.Ioctl(_master, Libc.TIOCSWINSZ, ws);
    }

    /// <summary>
    /// The job-control steps every interactive shell on this terminal must pass (prompt "P> ", a
    /// 24x80 start): a line typed ahead while `sleep 1` runs, ^C ending `sleep 100` (status 130),
    /// a resize reaching the foreground job as SIGWINCH and `stty size`; step reports each check.
    /// </summary>
    public void TypeAheadInterruptAndResize(Action<bool, string> step)
    {
        Type("sleep 1; echo after-$((1+1))\r");
        Thread.Sleep(300);
        Type("echo ahead-$((2+3))\r");
        step(WaitFor("after-2"), "the running command's output");
        step(WaitFor("ahead-5"), "a line typed ahead while it ran");

        Type("sleep 100\r");
        Thread.Sleep(700);
        Type("\u0003");
        step(WaitFor("P> ", TimeSpan.FromSeconds(5)), "^C ends `sleep 100` (the container's ISIG, not the caller's)");
        Type("echo st=$?\r");
        step(WaitFor("st=130"), "^C: status 130");

        Type("sh -c 'trap \"echo got-winch\" WINCH; echo armed; while :; do sleep 0.1; done'\r");
        step(WaitFor("armed"), "the WINCH trap armed");
        Thread.Sleep(300);
        Resize(33, 101);
        step(WaitFor("got-winch", TimeSpan.FromSeconds(5)), "the caller's resize reaches the container's foreground group as SIGWINCH");
        Type("\u0003");
        step(WaitFor("P> ", TimeSpan.FromSeconds(5)), "^C ends the trap loop");
        Type("stty size\r");
        step(WaitFor("33 101"), "`stty size` after the resize");
    }

    /// <summary>Reads until text appears after the last match (the next match starts after it); false after the timeout.</summary>
    public bool WaitFor(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            int at = _screen.ToString().IndexOf(text, _mark, StringComparison.Ordinal);
            if (at >= 0)
            {
                _mark = at + text.Length;
                return true;
            }
            int left = (int)(deadline - DateTime.UtcNow).TotalMilliseconds;
            if (left <= 0) return false;
            Drain(Math.Min(left, 200));
        }
    }

    private void Drain(int waitMs)
    {
        byte[] buf = new byte[4096];
        var pfd = new PollFd { Fd = _master, Events = Libc.POLLIN };
        if (Libc.Poll(&pfd, 1, waitMs) <= 0) return;
        nint n;
        fixed (byte* p = buf) n = Libc.Read(_master, p, buf.Length);
        if (n > 0) _screen.Append(Encoding.UTF8.GetString(buf, 0, (int)n));
    }

    /// <summary>The runtime's exit status (a signal: 128+N), or null while it runs after the timeout.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_status is null && DateTime.UtcNow < deadline)
        {
            int r = Libc.WaitPidRetry(_pid, out int status, Libc.WNOHANG);
            if (r == _pid) _status = Libc.ExitCodeOf(status);
            else Drain(100);
        }
        // What the runtime wrote before it exited.
        for (int i = 0; i < 5; i++) Drain(20);
        return _status;
    }

    public void Dispose()
    {
        if (_status is null)
        {
            Libc.Kill(_pid, Libc.SIGKILL);
            Libc.WaitPidRetry(_pid, out _, 0);
        }
        Libc.Close(_master);
        Libc.Close(_slave);
        if (_cleanupId is null || _runtime is null) return;
        foreach (var args in new[] { new[] { "kill", _cleanupId, "KILL" }, new[] { "delete", "-f", _cleanupId } })
        {
            var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(ContainerRunner.ResolveRuntime(_runtime), ["--root", _stateRoot!, .. args])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            p?.WaitForExit(10_000);
        }
    }
}
