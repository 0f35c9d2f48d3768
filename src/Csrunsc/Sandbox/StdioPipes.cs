using Csrunsc.Native;

namespace Csrunsc.Sandbox;

/// <summary>
/// runc's setupProcessPipes for a foreground `run` or `exec` without a terminal: where the caller's
/// stdin, stdout or stderr is a terminal, the container process gets a pipe instead and the runtime
/// copies between the two, so the program sees what it sees under runc (isatty false, `tty` says
/// "not a tty", no job control on a terminal it does not own). Other fds (files, pipes, sockets)
/// are handed on as they are: the program cannot tell the difference there, and nothing is copied.
/// </summary>
public sealed class StdioPipes : IDisposable
{
    /// <summary>How long the output copies may take to reach EOF once the process has exited.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    private readonly List<int> _guestEnds = [];
    private readonly List<(int From, int To, bool Output)> _copies = [];
    private readonly List<Thread> _outputs = [];

    /// <summary>The container process's fds 0-2: the caller's, or the guest end of a pipe where that is a terminal.</summary>
    public int[] GuestStdio { get; } = [0, 1, 2];

    private StdioPipes() { }

    /// <summary>Pipes for those of the caller's fds 0-2 that are terminals; null when none is (or with error when a pipe cannot be made).</summary>
    public static StdioPipes? ForTerminals(out string? error)
    {
        error = null;
        var pipes = new StdioPipes();
        for (int fd = 0; fd < 3; fd++)
        {
            if (Libc.IsATty(fd) != 1) continue;
            if (HostProcess.Pipe(out int readEnd, out int writeEnd) < 0)
            {
                error = "pipe: " + Errno.Describe(Libc.LastErrno);
                pipes.Dispose();
                foreach (var (from, to, output) in pipes._copies) Libc.Close(output ? from : to);
                return null;
            }
            int guest = fd == 0 ? readEnd : writeEnd;
            pipes._guestEnds.Add(guest);
            pipes.GuestStdio[fd] = guest;
            pipes._copies.Add(fd == 0 ? (0, writeEnd, false) : (readEnd, fd, true));
        }
        if (pipes._copies.Count > 0) return pipes;
        return null;
    }

    /// <summary>Once the sandbox holds the guest ends: ours are closed (so the output copies see EOF when the container's close) and the copies start.</summary>
    public void Start()
    {
        CloseGuestEnds();
        foreach (var (from, to, output) in _copies)
        {
            var t = new Thread(() =>
            {
                FdCopy.Pump(from, to);
                Libc.Close(output ? from : to); // stdin's end closed: the container reads EOF, as runc closes the pipe
            }, 64 * 1024) { IsBackground = true, Name = output ? $"stdio-out-{to}" : "stdio-in" };
            if (output) _outputs.Add(t);
            t.Start();
        }
    }

    /// <summary>The process has exited: its output reaches the caller's terminal (until every writer is closed, bounded).</summary>
    public void Finish()
    {
        var deadline = DateTime.UtcNow + DrainLimit;
        foreach (var t in _outputs) t.Join(Max(deadline - DateTime.UtcNow, TimeSpan.Zero));
        _outputs.Clear();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private void CloseGuestEnds()
    {
        foreach (int fd in _guestEnds) Libc.Close(fd);
        _guestEnds.Clear();
    }

    /// <summary>Closes the guest ends not yet handed over (a failed create); running copies end with the process.</summary>
    public void Dispose() => CloseGuestEnds();
}
