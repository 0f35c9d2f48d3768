using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Csrunsc.Native;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// A container run with process.terminal under runc or csrunsc, driven as a user at a terminal
/// would: the test is the console socket's receiver, holds the pty master, types into it, reads
/// what the terminal shows, resizes it and closes it. What runc shows is the oracle.
/// </summary>
public sealed unsafe class TerminalSession : IDisposable
{
    private readonly Process _process;
    private readonly ContainerRunner _runner;
    private readonly string _runtime, _stateRoot, _id;
    private readonly StringBuilder _screen = new();
    private int _master = -1;
    private int _mark;

    private TerminalSession(Process process, ContainerRunner runner, string runtime, string stateRoot, string id)
    {
        _process = process;
        _runner = runner;
        _runtime = runtime;
        _stateRoot = stateRoot;
        _id = id;
    }

    /// <summary>Everything the terminal has shown so far.</summary>
    public string Screen => _screen.ToString();

    /// <summary>Starts `RUNTIME run --detach --console-socket S` (runc allows a console socket only detached) of args with a terminal of rows x cols and takes the master.</summary>
    public static TerminalSession Start(DifferentialFixture fixture, string runtime, string[] args, ushort rows = 24, ushort cols = 80,
        string[]? env = null)
    {
        var runner = fixture.Runner;
        string id = runner.NewContainerId(runtime);
        string bundle = runner.CreateBundle(id, args, config =>
        {
            var process = (JsonObject)config["process"]!;
            process["terminal"] = true;
            process["consoleSize"] = new JsonObject { ["height"] = rows, ["width"] = cols };
            if (env is not null)
            {
                var list = (JsonArray)process["env"]!;
                foreach (var e in env) list.Add((JsonNode)JsonValue.Create(e));
            }
        });
        string socketPath = Path.Join(bundle, "console.sock");
        int listen = UnixSocket.Listen(socketPath);
        if (listen < 0) throw new InvalidOperationException($"cannot listen on {socketPath}: {listen}");
        string stateRoot = fixture.StateRootFor(runtime);
        var startInfo = new ProcessStartInfo(ContainerRunner.ResolveRuntime(runtime))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--root", stateRoot, "run", "--detach", "--bundle", bundle, "--console-socket", socketPath, id }) startInfo.ArgumentList.Add(a);
        var p = Process.Start(startInfo) ?? throw new InvalidOperationException("cannot start " + runtime);
        p.StandardInput.Close();
        var session = new TerminalSession(p, runner, runtime, stateRoot, id);
        var accepted = new PollFd { Fd = listen, Events = Libc.POLLIN };
        int ready;
        var until = DateTime.UtcNow.AddSeconds(20);
        do ready = Libc.Poll(&accepted, 1, 200);
        while (ready <= 0 && !p.HasExited && DateTime.UtcNow < until);
        if (ready <= 0)
        {
            Libc.Close(listen);
            string why = p.HasExited ? $"exited {p.ExitCode}: {p.StandardError.ReadToEnd()}" : "timed out";
            session.Dispose();
            throw new InvalidOperationException($"{runtime} never connected to the console socket: {why}");
        }
        int conn = UnixSocket.Accept(listen);
        Libc.Close(listen);
        var fds = new List<int>();
        UnixSocket.ReadLine(conn, out _, fds);
        Libc.Close(conn);
        if (fds.Count != 1) throw new InvalidOperationException($"{runtime} sent {fds.Count} fds over the console socket");
        session._master = fds[0];
        return session;
    }

    public void Type(string text)
    {
        byte[] b = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = b) Libc.Write(_master, p, b.Length);
    }

    /// <summary>TIOCSWINSZ on the master, as a terminal emulator does on resize.</summary>
    public void Resize(ushort rows, ushort cols)
    {
        ushort* ws = stackalloc ushort[4] { rows, cols, 0, 0 };
        Libc.Ioctl(_master, Libc.TIOCSWINSZ, ws);
    }

    /// <summary>Reads until text appears after the last match (the next match starts after it); false after the timeout.</summary>
    public bool WaitFor(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        byte[] buf = new byte[4096];
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
            var pfd = new PollFd { Fd = _master, Events = Libc.POLLIN };
            if (Libc.Poll(&pfd, 1, Math.Min(left, 200)) <= 0) continue;
            nint n;
            fixed (byte* p = buf) n = Libc.Read(_master, p, buf.Length);
            if (n <= 0) return false; // EIO: every replica is closed
            _screen.Append(Encoding.UTF8.GetString(buf, 0, (int)n));
        }
    }

    /// <summary>Closes the master: the terminal hangs up.</summary>
    public void CloseMaster()
    {
        if (_master >= 0) Libc.Close(_master);
        _master = -1;
    }

    /// <summary>The runtime's exit status, or null when it did not end within the timeout.</summary>
    /// <summary>The shell's exit status as the wrapper `sh -c 'sh; echo exit-status=$?'` prints it, or null.</summary>
    public int? WaitForExitStatus(TimeSpan timeout)
    {
        if (!WaitFor("exit-status=", timeout)) return null;
        WaitFor("\r\n", TimeSpan.FromSeconds(5));
        string screen = Screen;
        int at = screen.LastIndexOf("exit-status=", StringComparison.Ordinal) + "exit-status=".Length;
        int end = screen.IndexOf('\r', at);
        return int.TryParse(screen[at..(end < 0 ? screen.Length : end)], out int v) ? v : null;
    }

    /// <summary>Whether `RUNTIME state` says stopped (or the container is gone) within the timeout.</summary>
    public bool WaitForStopped(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var st = Process.Start(new ProcessStartInfo(ContainerRunner.ResolveRuntime(_runtime), ["--root", _stateRoot, "state", _id])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            string output = st.StandardOutput.ReadToEnd();
            st.WaitForExit();
            if (st.ExitCode != 0 || output.Contains("\"stopped\"", StringComparison.Ordinal)) return true;
            Thread.Sleep(200);
        }
        return false;
    }

    public void Dispose()
    {
        CloseMaster();
        if (!_process.HasExited)
        {
            try { _process.Kill(true); } catch (InvalidOperationException) { }
        }
        var kill = Process.Start(new ProcessStartInfo(ContainerRunner.ResolveRuntime(_runtime), ["--root", _stateRoot, "kill", _id, "KILL"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
        kill?.WaitForExit(10_000);
        var del = Process.Start(new ProcessStartInfo(ContainerRunner.ResolveRuntime(_runtime), ["--root", _stateRoot, "delete", "-f", _id])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
        del?.WaitForExit(10_000);
        _process.Dispose();
        _ = _runner;
    }
}
