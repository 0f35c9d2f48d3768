namespace Csrunsc.Tests.Integration;

/// <summary>An <see cref="IntegrationSession"/> with `ctr` commands that use the runtime under test.</summary>
public sealed class ContainerdSession
{
    private readonly List<string> _ids = [];
    private readonly List<int> _pids = [];

    public ContainerdSession(IntegrationSession session, ContainerdDaemon containerd)
    {
        Session = session;
        Containerd = containerd;
        var logStart = new FileInfo(Path.Join(containerd.Dir, "containerd.log")).Length;
        session.AddDiagnostics(() => "--- containerd log during this test ---\n" + Tail(Path.Join(containerd.Dir, "containerd.log"), logStart));
    }

    public IntegrationSession Session { get; }
    public ContainerdDaemon Containerd { get; }
    public RuntimeUnderTest Runtime => Session.Runtime;

    /// <summary>`--runc-binary RUNTIME --runc-root ROOT`: how `ctr run` picks the runtime (the shim passes --root ROOT/default).</summary>
    public string[] RuntimeFlags => ["--runc-binary", Runtime.Binary, "--runc-root", ContainerdDaemon.RuntimeRoot(Runtime)];

    /// <summary>A fresh container id; the container is force-removed when the test ends.</summary>
    public string NewContainer(string prefix)
    {
        var id = Session.NewId(prefix);
        _ids.Add(id);
        Session.OnCleanup(() => ForceRemove(id));
        return id;
    }

    /// <summary>Remembers a container process that must be gone at the end.</summary>
    public void TrackPid(int pid) => _pids.Add(pid);

    /// <summary>`ctr --address SOCK ARGS...` with the runtime's timeout.</summary>
    public CommandResult Ctr(params string[] args) => Session.Note(Containerd.Ctr(Runtime.OperationTimeout, args));

    /// <summary>`ctr run RUNTIMEFLAGS OPTIONS... IMAGE ID ARGS...`.</summary>
    public CommandResult Run(string[] options, string id, params string[] args) =>
        Ctr(["run", .. RuntimeFlags, .. options, ContainerdDaemon.ImageName, id, .. args]);

    /// <summary>The ctr command line for `script -c` (a tty for ctr).</summary>
    public string CommandLine(params string[] args) =>
        string.Join(' ', new[] { "ctr", "--address", Containerd.Address }.Concat(args).Select(Shell.Quote));

    /// <summary>Runs <paramref name="commandLine"/> on a new pty with `script -qec CMD /dev/null` (exit status = the command's).</summary>
    public CommandResult UnderScript(string commandLine) =>
        Session.Note(Shell.Run(Runtime.OperationTimeout, "script", ["-qec", commandLine, "/dev/null"]));

    /// <summary>(pid, status) of the task from `ctr task ls`, or null when there is none.</summary>
    public (int Pid, string Status)? Task(string id)
    {
        var list = Session.ExpectSuccess(Ctr("task", "ls"), "ctr task ls");
        foreach (var line in list.Stdout.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 3 && fields[0] == id && int.TryParse(fields[1], out var pid))
            {
                return (pid, fields[2]);
            }
        }

        return null;
    }

    /// <summary>Waits until the task's status is <paramref name="status"/>; returns its pid.</summary>
    public int WaitForStatus(string id, string status, TimeSpan? timeout = null)
    {
        (int Pid, string Status)? task = null;
        Session.WaitFor(() => (task = Task(id))?.Status == status, timeout ?? TimeSpan.FromSeconds(10),
            () => $"task {id} is {(task is null ? "not listed" : task.Value.Status)}, expected {status}");
        return task!.Value.Pid;
    }

    /// <summary>`ctr task rm` + `ctr container rm` of a stopped task; returns what `task rm` printed (it reports non-zero exit codes).</summary>
    public string Remove(string id)
    {
        var rm = Session.ExpectSuccess(Ctr("task", "rm", id), $"ctr task rm {id}");
        Session.ExpectSuccess(Ctr("container", "rm", id), $"ctr container rm {id}");
        return rm.Stdout + rm.Stderr;
    }

    /// <summary>Checks that the test's containers left no process, shim, runtime call or mount behind.</summary>
    public void AssertNothingLeft() =>
        Session.AssertNothingLeft(_ids, _pids,
            [Runtime.ScratchDir, Path.GetDirectoryName(Runtime.Binary)!, Containerd.Dir, Containerd.RunDir],
            exceptPid: Containerd.Pid);

    private void ForceRemove(string id)
    {
        var quick = TimeSpan.FromSeconds(10);
        Containerd.Ctr(quick, "task", "kill", "-a", "-s", "SIGKILL", id);
        Containerd.Ctr(quick, "task", "rm", "-f", id);
        Containerd.Ctr(quick, "container", "rm", id);
    }

    private static string Tail(string path, long from)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(from, stream.Length), SeekOrigin.Begin);
        var text = new StreamReader(stream).ReadToEnd();
        return text.Length > 8000 ? "...\n" + text[^8000..] : text;
    }
}
