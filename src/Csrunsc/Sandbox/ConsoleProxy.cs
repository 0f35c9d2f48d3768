using System.Runtime.InteropServices;
using Csrunsc.Native;

namespace Csrunsc.Sandbox;

/// <summary>
/// runc's own console: `run` or `exec` of a process with a terminal (process.terminal, exec
/// --tty) in the foreground without --console-socket. The runtime opens a host pty and keeps its
/// master; the slave goes to the sandbox exactly as a console socket's would (the sandbox bridges it
/// to the container's Sentry pty, see Fs/Pty/HostTerminalBridge), and the sandbox clears ONLCR on
/// the container's pty as runc's console.ClearONLCR does. Here, as runc's tty.go: the caller's
/// terminal (stderr, stdout, stdin, else /dev/tty) goes into raw mode with output processing kept
/// (containerd/console's SetRaw: cfmakeraw + OPOST), stdin is copied to the master and the master
/// to stdout, the caller's window size follows SIGWINCH, and the terminal's mode comes back at the end.
/// </summary>
public sealed unsafe class ConsoleProxy : IDisposable
{
    /// <summary>How long the output copy waits for more once the process has exited (background holders of the pty do not keep us).</summary>
    private const int DrainIdleMs = 250;

    private readonly int _console;
    private readonly bool _ownsConsole;
    private readonly int _master;
    private byte[]? _savedMode;
    private PosixSignalRegistration? _winch;
    private Thread? _output;
    private volatile bool _processGone;

    /// <summary>The host pty slave for the sandbox (closed here once handed over, by <see cref="Start"/>).</summary>
    public int Slave { get; private set; }

    private ConsoleProxy(int console, bool ownsConsole, int master, int slave)
    {
        _console = console;
        _ownsConsole = ownsConsole;
        _master = master;
        Slave = slave;
    }

    /// <summary>Finds the caller's terminal and opens the pty, sized as that terminal; null with runc's error when there is no terminal.</summary>
    public static ConsoleProxy? Open(out string? error)
    {
        error = null;
        int console = -1;
        bool owns = false;
        foreach (int fd in (ReadOnlySpan<int>)[2, 1, 0])
        {
            if (IsTerminal(fd))
            {
                console = fd;
                break;
            }
        }
        if (console < 0)
        {
            // All three redirected, but a controlling terminal: runc opens /dev/tty.
            console = Libc.OpenPath("/dev/tty", Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (console < 0)
            {
                error = "open /dev/tty: " + Errno.Describe(Libc.LastErrno);
                return null;
            }
            owns = true;
        }
        int r = Libc.OpenPty(out int master, out int slave);
        if (r < 0)
        {
            if (owns) Libc.Close(console);
            error = "cannot open a pseudo-terminal: " + Errno.Describe(-r);
            return null;
        }
        // Raw before anyone can type: only the container's line discipline acts on the bytes.
        Libc.MakeRaw(slave);
        var proxy = new ConsoleProxy(console, owns, master, slave);
        proxy.Resize();
        return proxy;
    }

    private static bool IsTerminal(int fd)
    {
        byte* t = stackalloc byte[64];
        return Libc.Ioctl(fd, Libc.TCGETS, t) == 0;
    }

    /// <summary>The caller's terminal's size onto the pty (the sandbox's bridge passes it on as the container's size and SIGWINCH).</summary>
    private void Resize()
    {
        ushort* ws = stackalloc ushort[4];
        if (Libc.Ioctl(_console, Libc.TIOCGWINSZ, ws) == 0) Libc.Ioctl(_master, Libc.TIOCSWINSZ, ws);
    }

    /// <summary>Once the sandbox holds the slave: raw mode on the caller's terminal, the copies both ways, SIGWINCH followed.</summary>
    public void Start()
    {
        CloseSlave();
        byte[] saved = new byte[64];
        fixed (byte* t = saved)
        {
            if (Libc.Ioctl(_console, Libc.TCGETS, t) == 0)
            {
                _savedMode = saved;
                byte* raw = stackalloc byte[64];
                Buffer.MemoryCopy(t, raw, 64, 64);
                MakeRawKeepingOutput(raw);
                Libc.Ioctl(_console, Libc.TCSETS, raw);
            }
        }
        _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => Resize());
        Resize();
        // stdin to the master until stdin ends (runc's io.Copy(console, os.Stdin); the terminal is not closed at EOF).
        new Thread(() => FdCopy.Pump(0, _master), 64 * 1024) { IsBackground = true, Name = "console-in" }.Start();
        _output = new Thread(CopyOutput, 64 * 1024) { IsBackground = true, Name = "console-out" };
        _output.Start();
    }

    /// <summary>containerd/console's SetRaw: cfmakeraw, then OPOST back on (the container's pty has no ONLCR; the caller's terminal does it).</summary>
    private static void MakeRawKeepingOutput(byte* t)
    {
        uint* f = (uint*)t;
        f[0] &= ~0x5EBu;                 // IGNBRK BRKINT PARMRK ISTRIP INLCR IGNCR ICRNL IXON
        f[1] &= ~1u;                     // OPOST (cfmakeraw) ...
        f[2] = (f[2] & ~0x130u) | 0x30u; // CSIZE PARENB off, CS8
        f[3] &= ~0x804Bu;                // ECHO ECHONL ICANON ISIG IEXTEN
        t[17 + 5] = 0;                   // VTIME
        t[17 + 6] = 1;                   // VMIN
        f[1] |= 1u;                      // ... and OPOST again
    }

    /// <summary>The process has exited: the rest of its output reaches stdout, then the terminal gets its mode back.</summary>
    public void Finish()
    {
        _processGone = true;
        _output?.Join(TimeSpan.FromSeconds(5));
        _output = null;
        Dispose();
    }

    public void Dispose()
    {
        CloseSlave();
        _winch?.Dispose();
        _winch = null;
        if (_savedMode is { } mode)
        {
            fixed (byte* t = mode) Libc.Ioctl(_console, Libc.TCSETS, t);
            _savedMode = null;
        }
        if (_ownsConsole) Libc.Close(_console);
        // The master stays open until we exit: the input copy may still be in a write to it.
    }

    private void CloseSlave()
    {
        if (Slave < 0) return;
        Libc.Close(Slave);
        Slave = -1;
    }

    /// <summary>The master to stdout until every slave is closed (EIO), or the process is gone and nothing more comes.</summary>
    private void CopyOutput()
    {
        byte[] buf = new byte[16 * 1024];
        long idleSince = Environment.TickCount64;
        bool sawGone = false;
        fixed (byte* p = buf)
        {
            while (true)
            {
                var pfd = new PollFd { Fd = _master, Events = Libc.POLLIN };
                int ready = Libc.Poll(&pfd, 1, 50);
                if (_processGone && !sawGone)
                {
                    sawGone = true;
                    idleSince = Environment.TickCount64;
                }
                if (ready <= 0)
                {
                    if (sawGone && Environment.TickCount64 - idleSince >= DrainIdleMs) return;
                    continue;
                }
                nint n = Libc.Read(_master, p, buf.Length);
                if (n < 0 && Libc.LastErrno is Errno.EINTR or Errno.EAGAIN) continue;
                if (n <= 0 || !FdCopy.WriteAll(1, p, (int)n)) return; // EIO: the sandbox closed its last slave
                idleSince = Environment.TickCount64;
            }
        }
    }
}
