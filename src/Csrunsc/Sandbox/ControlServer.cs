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
public sealed class ControlServer(int listenFd, Sentry.Boot.Sandbox sandbox, string bundle, Sentry.Kernel.Seccomp.SockFilter[]? seccomp, bool seccompLog)
{
    /// <summary>Each pod member's own linux.seccomp, which its exec'd processes get too.</summary>
    private readonly Dictionary<string, (Sentry.Kernel.Seccomp.SockFilter[]? Filter, bool Log)> _memberSeccomp = new(StringComparer.Ordinal);

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
            var parts = line.Split(' ').ToList();
            // "@ID request": a request for one container of the pod (none: the sandbox's own).
            string? target = null;
            if (parts[0].StartsWith('@'))
            {
                target = parts[0][1..];
                parts.RemoveAt(0);
                if (parts.Count == 0) parts.Add("");
            }
            if (parts[0] == "create" && parts.Count == 2)
            {
                keepOpen = Create(fd, parts[1], fds);
                fds.Clear();
                return;
            }
            var container = sandbox.ContainerById(target);
            if (container is null)
            {
                Reply(fd, $"error container {target} is not in this sandbox");
                return;
            }
            switch (parts[0])
            {
                case "start":
                    sandbox.Start(container);
                    Reply(fd, "ok");
                    break;
                case "kill" when parts.Count == 3:
                    sandbox.Signal(container, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2] == "1");
                    Reply(fd, "ok");
                    break;
                case "signal" when parts.Count == 3:
                {
                    int r = sandbox.SignalProcess(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
                    Reply(fd, r < 0 ? "error no such process" : "ok");
                    break;
                }
                case "ps":
                    Reply(fd, "ok " + string.Join(' ', target is null ? sandbox.HostPids() : sandbox.HostPids(container)));
                    break;
                case "debug" when parts.Count is 2 or 3:
                {
                    // Multi-line views travel base64-encoded on the one reply line.
                    string? view = sandbox.DebugView(container, parts[1], parts.Count == 3 ? parts[2] : null);
                    Reply(fd, view is null ? "error no such " + (parts[1] == "fds" ? "process" : "view") : "ok " + Convert.ToBase64String(Encoding.UTF8.GetBytes(view)));
                    break;
                }
                case "pause":
                    sandbox.Pause(container);
                    Reply(fd, "ok");
                    break;
                case "resume":
                    sandbox.Resume(container);
                    Reply(fd, "ok");
                    break;
                case "cgroups":
                    sandbox.SetCgroups(container, fds.ToArray());
                    fds.Clear();
                    Reply(fd, "ok");
                    break;
                case "destroy":
                    lock (_memberSeccomp) _memberSeccomp.Remove(container.Id);
                    Reply(fd, sandbox.DestroyContainer(container) ? "ok" : "error the container's processes did not exit");
                    break;
                case "exec" when parts.Count == 2 || (parts.Count == 3 && parts[2] == "-onlcr"):
                    keepOpen = Exec(fd, container, parts[1], fds, clearOnlcr: parts.Count == 3);
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

    /// <summary>
    /// exec: the request carries the process (base64 JSON) and its stdin/stdout/stderr fds; "-onlcr"
    /// after it: exec proxies the terminal itself, whose ONLCR runc clears.
    /// </summary>
    private bool Exec(int fd, Sentry.Kernel.Container container, string payload, List<int> fds, bool clearOnlcr)
    {
        var process = JsonSerializer.Deserialize(Encoding.UTF8.GetString(Convert.FromBase64String(payload)), OciSpecJsonContext.Default.OciProcess);
        if (process?.Args is not { Count: > 0 } || fds.Count != 3)
        {
            Reply(fd, "error exec needs a process with args and three stdio fds");
            return false;
        }
        var filter = (seccomp, seccompLog);
        if (container.Id.Length > 0) lock (_memberSeccomp) filter = _memberSeccomp.GetValueOrDefault(container.Id);
        var options = SandboxConfig.ProcessFrom(process, bundle, filter.Item1, clearOnlcr, filter.Item2);
        var exited = new ManualResetEventSlim(false);
        int guestPid = sandbox.Exec(container, options, fds.ToArray(), ExitReporter(fd, exited), out string? error);
        if (guestPid < 0)
        {
            Reply(fd, "error " + (error ?? "exec failed"));
            return false;
        }
        Reply(fd, "ok " + guestPid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        WatchCaller(fd, exited, () => sandbox.SignalProcess(guestPid, Libc.SIGKILL));
        return true;
    }

    /// <summary>
    /// create of a pod's later container: the request carries its <see cref="ContainerRequest"/>
    /// (base64 JSON) and four fds: its gofer connection, then init's stdin, stdout, stderr. The
    /// connection stays open as exec's does; "exit N" follows when the container's init exits.
    /// </summary>
    private bool Create(int fd, string payload, List<int> fds)
    {
        var request = JsonSerializer.Deserialize(Encoding.UTF8.GetString(Convert.FromBase64String(payload)), ContainerRequestJsonContext.Default.ContainerRequest);
        if (request?.Spec?.Process?.Args is not { Count: > 0 } || fds.Count != 4 + request.Cgroups.Count)
        {
            Reply(fd, "error create needs a container spec with process args, a gofer fd, three stdio fds and its cgroup directories");
            return false;
        }
        var views = request.Cgroups.Select((c, i) => new Sentry.Fs.Cgroup.HostCgroupView(c.Name, c.Controllers, c.Path, fds[4 + i])).ToList();
        fds.RemoveRange(4, views.Count);
        var options = SandboxConfig.ContainerFrom(request, views);
        var exited = new ManualResetEventSlim(false);
        int goferFd = fds[0];
        fds.RemoveAt(0);
        int guestPid = sandbox.CreateContainer(options, goferFd, fds.ToArray(), ExitReporter(fd, exited), out string? error);
        if (guestPid < 0)
        {
            Reply(fd, "error " + (error ?? "create failed"));
            return false;
        }
        lock (_memberSeccomp) _memberSeccomp[request.Id] = (options.Init.Seccomp, options.Init.SeccompLog);
        Reply(fd, "ok " + guestPid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var container = sandbox.ContainerById(request.Id);
        WatchCaller(fd, exited, () => { if (container is not null) sandbox.Signal(container, Libc.SIGKILL, all: false); });
        return true;
    }

    /// <summary>Sends "exit N" on the caller's connection once the process exits.</summary>
    private static Action<int> ExitReporter(int fd, ManualResetEventSlim exited) => status =>
    {
        UnixSocket.SendLine(fd, "exit " + Libc.ExitCodeOf(status).ToString(System.Globalization.CultureInfo.InvariantCulture));
        exited.Set();
        Libc.Shutdown(fd, Libc.SHUT_RDWR); // wakes the watcher, which closes the fd
    };

    /// <summary>If the caller goes away (its pid-file proxy was SIGKILLed), the process goes too (kill); then closes fd.</summary>
    private static void WatchCaller(int fd, ManualResetEventSlim exited, Action kill)
    {
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
            if (!exited.IsSet) kill();
            exited.Wait();
            Libc.Close(fd);
        }) { IsBackground = true, Name = "exec-watch" };
        watcher.Start();
    }
}
