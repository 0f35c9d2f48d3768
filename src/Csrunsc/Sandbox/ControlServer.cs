using System.Text;
using System.Text.Json;
using Csrunsc.Native;
using Csrunsc.Oci;
using Csrunsc.Sentry.Boot;

namespace Csrunsc.Sandbox;

/// <summary>
/// The sandbox's end of the control socket (&lt;root&gt;/&lt;id&gt;/control.sock): start, kill,
/// signal, ps, pause, resume, exec. One connection per request; exec's stays open until the
/// process exits and kills the process if the caller (its pid-file proxy) goes away first.
/// </summary>
public sealed class ControlServer(int listenFd, Sentry.Boot.Sandbox sandbox, string bundle, Sentry.Kernel.Seccomp.SockFilter[]? seccomp)
{
    public void Start()
    {
        var t = new Thread(AcceptLoop) { IsBackground = true, Name = "control" };
        t.Start();
    }

    private void AcceptLoop()
    {
        while (true)
        {
            int fd = UnixSocket.Accept(listenFd);
            if (fd < 0) return;
            var t = new Thread(() => Serve(fd)) { IsBackground = true, Name = "control-conn" };
            t.Start();
        }
    }

    private void Serve(int fd)
    {
        var fds = new List<int>();
        bool keepOpen = false;
        try
        {
            if (!UnixSocket.ReadLine(fd, out string line, fds)) return;
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "start":
                    sandbox.Start();
                    Reply(fd, "ok");
                    break;
                case "kill" when parts.Length == 3:
                    sandbox.Signal(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2] == "1");
                    Reply(fd, "ok");
                    break;
                case "signal" when parts.Length == 3:
                {
                    int r = sandbox.SignalProcess(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
                    Reply(fd, r < 0 ? "error no such process" : "ok");
                    break;
                }
                case "ps":
                    Reply(fd, "ok " + string.Join(' ', sandbox.HostPids()));
                    break;
                case "debug" when parts.Length == 2:
                    // Multi-line views travel base64-encoded on the one reply line.
                    Reply(fd, "ok " + Convert.ToBase64String(Encoding.UTF8.GetBytes(sandbox.DebugView(parts[1]))));
                    break;
                case "pause":
                    sandbox.Pause();
                    Reply(fd, "ok");
                    break;
                case "resume":
                    sandbox.Resume();
                    Reply(fd, "ok");
                    break;
                case "exec" when parts.Length == 2:
                    keepOpen = Exec(fd, parts[1], fds);
                    fds.Clear();
                    break;
                default:
                    Reply(fd, "error unknown request");
                    break;
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            Reply(fd, "error " + e.Message);
        }
        finally
        {
            foreach (var f in fds) Libc.Close(f);
            if (!keepOpen) Libc.Close(fd);
        }
    }

    private static void Reply(int fd, string line) => UnixSocket.SendLine(fd, line);

    /// <summary>exec: the request carries the process (base64 JSON) and its stdin/stdout/stderr fds.</summary>
    private bool Exec(int fd, string payload, List<int> fds)
    {
        var process = JsonSerializer.Deserialize(Encoding.UTF8.GetString(Convert.FromBase64String(payload)), OciSpecJsonContext.Default.OciProcess);
        if (process?.Args is not { Count: > 0 } || fds.Count != 3)
        {
            Reply(fd, "error exec needs a process with args and three stdio fds");
            return false;
        }
        var options = SandboxConfig.ProcessFrom(process, bundle, seccomp);
        var exited = new ManualResetEventSlim(false);
        int guestPid = sandbox.Exec(options, fds.ToArray(), status =>
        {
            UnixSocket.SendLine(fd, "exit " + Libc.ExitCodeOf(status).ToString(System.Globalization.CultureInfo.InvariantCulture));
            exited.Set();
            Libc.Shutdown(fd, Libc.SHUT_RDWR); // wakes the watcher, which closes the fd
        }, out string? error);
        if (guestPid < 0)
        {
            Reply(fd, "error " + (error ?? "exec failed"));
            return false;
        }
        Reply(fd, "ok " + guestPid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // If the caller goes away (its proxy was SIGKILLed), the process goes too.
        var watcher = new Thread(() =>
        {
            byte[] b = new byte[1];
            unsafe
            {
                fixed (byte* p = b)
                {
                    while (!exited.IsSet)
                    {
                        nint n = Libc.Read(fd, p, 1);
                        if (n < 0 && Libc.LastErrno == Errno.EINTR) continue;
                        if (n <= 0) break;
                    }
                }
            }
            if (!exited.IsSet) sandbox.SignalProcess(guestPid, Libc.SIGKILL);
            exited.Wait();
            Libc.Close(fd);
        }) { IsBackground = true, Name = "exec-watch" };
        watcher.Start();
        return true;
    }
}
