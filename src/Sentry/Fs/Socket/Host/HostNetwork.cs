using Csrunsc.Native;

namespace Csrunsc.Sentry.Fs.Socket.Host;

/// <summary>
/// The network namespace the guest's sockets live in (gVisor's hostinet model). The Sentry itself
/// sits in an empty namespace; one thread of its own enters the guest's namespace (joins the one
/// config.json names, the host's, or a new one with loopback up) and stays there, making every
/// guest socket on request: a socket belongs to the namespace it was made in, whichever thread
/// later uses it. The same thread opens the namespace's /proc/net and /proc/sys/net files, which
/// Linux resolves by the opener's namespace. The guest never holds a host fd number.
/// </summary>
public sealed unsafe class HostNetwork : Proc.IProcSource
{
    public enum Origin
    {
        /// <summary>config.json lists no network namespace: the host's, as runc.</summary>
        Host,
        /// <summary>A namespace named by path (a CNI pod's, podman's).</summary>
        Joined,
        /// <summary>Listed without a path: a fresh one with loopback up, as runc.</summary>
        New,
    }

    private readonly object _lock = new();
    private readonly object _callLock = new();
    private Func<int>? _request;
    private int _result;
    private bool _done;
    private int _procFd = -1;

    private HostNetwork(Origin origin)
    {
        Kind = origin;
    }

    public Origin Kind { get; }

    /// <summary>
    /// Starts the namespace thread: nsFd joins that namespace (it is closed), -1 with New makes a
    /// fresh one. Must run before the Sentry's chroot (it opens /proc). Null with a one-line error.
    /// </summary>
    public static HostNetwork? Start(Origin origin, int nsFd, out string? error)
    {
        var net = new HostNetwork(origin);
        string? failure = null;
        var ready = new ManualResetEventSlim(false);
        var thread = new Thread(() =>
        {
            failure = net.Enter(origin, nsFd);
            ready.Set();
            if (failure is null) net.Serve();
        }, 256 * 1024) { IsBackground = true, Name = "netns" };
        thread.Start();
        ready.Wait();
        error = failure;
        return failure is null ? net : null;
    }

    private string? Enter(Origin origin, int nsFd)
    {
        if (origin == Origin.New)
        {
            if (Libc.Unshare(Libc.CLONE_NEWNET) < 0) return "cannot create a network namespace: " + Errno.Name(Libc.LastErrno);
            int r = LoopbackUp();
            if (r < 0) return "cannot bring up the loopback interface: " + Errno.Name(-r);
        }
        else
        {
            int r = Libc.SetNs(nsFd, Libc.CLONE_NEWNET);
            int e = Libc.LastErrno;
            Libc.Close(nsFd);
            if (r < 0) return "cannot join the network namespace: " + Errno.Name(e);
        }
        _procFd = Libc.OpenPath("/proc", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        return null;
    }

    private static int LoopbackUp()
    {
        int fd = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) return -Libc.LastErrno;
        var req = default(IfReqFlags);
        req.Name[0] = (byte)'l';
        req.Name[1] = (byte)'o';
        int r = Libc.Ioctl(fd, Libc.SIOCGIFFLAGS, &req);
        if (r == 0)
        {
            req.Flags |= Libc.IFF_UP;
            r = Libc.Ioctl(fd, Libc.SIOCSIFFLAGS, &req);
        }
        int e = r < 0 ? Libc.LastErrno : 0;
        Libc.Close(fd);
        return -e;
    }

    private void Serve()
    {
        while (true)
        {
            Func<int> work;
            lock (_lock)
            {
                while (_request is null) Monitor.Wait(_lock);
                work = _request;
            }
            int result;
            try
            {
                result = work();
            }
            catch (Exception)
            {
                result = -Errno.EIO;
            }
            lock (_lock)
            {
                _request = null;
                _result = result;
                _done = true;
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Runs work on the namespace thread and returns its result (callers are served one at a time).</summary>
    private int Run(Func<int> work)
    {
        lock (_callLock)
        {
            lock (_lock)
            {
                _done = false;
                _request = work;
                Monitor.PulseAll(_lock);
                while (!_done) Monitor.Wait(_lock);
                return _result;
            }
        }
    }

    /// <summary>
    /// Runs a host call that needs one of the network capabilities this thread alone keeps once the
    /// Sentry has given up host root (<see cref="Csrunsc.Sentry.Boot.HostPrivileges"/>): a bind below port 1024,
    /// a privileged socket option, an interface or routing change. The guest's own capability was checked by the caller.
    /// </summary>
    public int Privileged(Func<int> call) => Run(call);

    /// <summary>Before the Sentry's uid changes: this thread keeps its permitted capabilities across it.</summary>
    internal int KeepCapabilitiesAcrossUidChange() => Run(() => Libc.Prctl(Libc.PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ? -Libc.LastErrno : 0);

    /// <summary>After the uid change: this thread's capabilities become exactly mask (and stop surviving later uid changes).</summary>
    internal int LimitCapabilities(ulong mask) => Run(() =>
    {
        int r = Libc.SetThreadCapabilities(mask);
        Libc.Prctl(Libc.PR_SET_KEEPCAPS, 0, 0, 0, 0);
        return r;
    });

    /// <summary>socket(2) in the guest's namespace, non-blocking and close-on-exec: the host fd or -errno.</summary>
    public int Socket(int family, int type, int protocol) => Run(() =>
    {
        int fd = Libc.Socket(family, type | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, protocol);
        return fd < 0 ? -Libc.LastErrno : fd;
    });

    private int _controlFd = -1;

    /// <summary>
    /// A datagram socket of the namespace kept for the interface ioctls of sockets that have no
    /// host socket of their own (AF_UNIX): Linux answers SIOCGIF* on any socket, and glibc's
    /// if_nametoindex asks an AF_UNIX one first. The fd or -errno.
    /// </summary>
    public int ControlSocket()
    {
        int fd = Volatile.Read(ref _controlFd);
        if (fd >= 0) return fd;
        fd = Socket(Libc.AF_INET, Libc.SOCK_DGRAM, 0);
        if (fd < 0) fd = Socket(Libc.AF_INET6, Libc.SOCK_DGRAM, 0);
        if (fd < 0) return fd;
        int existing = Interlocked.CompareExchange(ref _controlFd, fd, -1);
        if (existing < 0) return fd;
        Libc.Close(fd);
        return existing;
    }

    /// <summary>The namespace's interfaces now (an RTM_GETLINK dump); empty if it cannot be read.</summary>
    public List<NetInterface> Interfaces()
    {
        List<NetInterface>? result = null;
        Run(() =>
        {
            result = NetInterface.DumpCurrentNamespace();
            return 0;
        });
        return result ?? [];
    }

    /// <summary>A new fd of the namespace itself (for setns), or -errno.</summary>
    public int OpenNamespace() => Run(() =>
    {
        int fd = Libc.OpenPath("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd >= 0) return fd;
        // After the Sentry's chroot /proc is only reachable through the fd kept for the namespace's files.
        if (_procFd < 0) return -Libc.LastErrno;
        byte[] path = Libc.CString("thread-self/ns/net");
        fixed (byte* p = path) fd = Libc.OpenAt(_procFd, p, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        return fd < 0 ? -Libc.LastErrno : fd;
    });

    /// <summary>
    /// Moves the calling thread into the guest's namespace. The sandbox process's main thread does
    /// this last: /proc/PID/ns/net of the pid-file process is what a pod's other containers join
    /// (containerd names the pause container's), so it must be the guest's, as under runc.
    /// </summary>
    public int JoinFromCallingThread()
    {
        int fd = OpenNamespace();
        if (fd < 0) return fd;
        int r = Libc.SetNs(fd, Libc.CLONE_NEWNET);
        int e = Libc.LastErrno;
        Libc.Close(fd);
        return r < 0 ? -e : 0;
    }

    /// <summary>
    /// Opens a /proc file as the namespace sees it, e.g. "thread-self/net/dev" or
    /// "sys/net/ipv4/ip_forward" (the caller builds the path; never a guest string unchecked).
    /// </summary>
    public int OpenProc(string relativePath, int flags) => Run(() =>
    {
        if (_procFd < 0) return -Errno.ENOENT;
        byte[] path = Libc.CString(relativePath);
        fixed (byte* p = path)
        {
            int fd = Libc.OpenAt(_procFd, p, flags | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0);
            return fd < 0 ? -Libc.LastErrno : fd;
        }
    });

    /// <summary>Reads a whole /proc file of the namespace (null if it cannot be opened).</summary>
    public byte[]? ReadProc(string relativePath)
    {
        int fd = OpenProc(relativePath, Libc.O_RDONLY);
        if (fd < 0) return null;
        try
        {
            var ms = new MemoryStream();
            byte* buf = stackalloc byte[4096];
            while (true)
            {
                nint n = Libc.Read(fd, buf, 4096);
                if (n < 0 && Libc.LastErrno == Errno.EINTR) continue;
                if (n <= 0) break;
                ms.Write(new ReadOnlySpan<byte>(buf, (int)n));
            }
            return ms.ToArray();
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Writes a /proc/sys value of the namespace (net.* sysctls): 0 or -errno.</summary>
    public int WriteProc(string relativePath, string value)
    {
        int fd = OpenProc(relativePath, Libc.O_WRONLY);
        if (fd < 0) return fd;
        try
        {
            byte[] data = System.Text.Encoding.UTF8.GetBytes(value);
            fixed (byte* p = data)
            {
                nint n = Libc.Write(fd, p, data.Length);
                return n < 0 ? -Libc.LastErrno : 0;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    List<(string Name, bool Directory)>? Proc.IProcSource.List(string path)
    {
        List<(string, bool)>? result = null;
        int r = Run(() =>
        {
            if (_procFd < 0) return -Errno.ENOENT;
            byte[] p = Libc.CString(path);
            int fd;
            fixed (byte* pp = p) fd = Libc.OpenAt(_procFd, pp, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            if (fd < 0) return -Libc.LastErrno;
            result = Libc.ReadDirectory(fd);
            Libc.Close(fd);
            return 0;
        });
        return r < 0 ? null : result;
    }

    byte[]? Proc.IProcSource.Read(string path) => ReadProc(path);

    int Proc.IProcSource.Write(string path, string value) => WriteProc(path, value);
}
