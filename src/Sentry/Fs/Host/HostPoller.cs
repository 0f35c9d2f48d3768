using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;

namespace Csrunsc.Sentry.Fs.Host;

/// <summary>
/// The Sentry's one poller (gVisor's fdnotifier): every host fd that can block (the caller's pipes
/// and terminals, donated sockets, the guest's host-network sockets) is registered edge-triggered in
/// one host epoll, and one thread turns its events into <see cref="WaitQueue.Notify(uint)"/> on the
/// fd's queue. Readiness itself is always asked of the host fd when a waiter looks, so an event is
/// only ever a wake-up: a lost or spurious one cannot make a file look ready when it is not.
/// No thread per fd: 10,000 idle connections cost 10,000 epoll entries.
/// </summary>
public sealed unsafe class HostPoller
{
    private const uint Interest = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLPRI | Libc.EPOLLRDHUP | Libc.EPOLLET;
    private const int Batch = 128;

    private static readonly Lazy<HostPoller> s_instance = new(() => new HostPoller());

    private readonly object _lock = new();
    private readonly int _epfd;
    private WaitQueue?[] _queues = new WaitQueue?[256];
    private uint[] _generations = new uint[256];
    private int[] _free = new int[256];
    private int _freeCount;
    private int _used;
    private Thread? _thread;

    private HostPoller()
    {
        _epfd = Libc.EpollCreate1(Libc.O_CLOEXEC);
    }

    public static HostPoller Instance => s_instance.Value;

    /// <summary>
    /// Watches fd: every change of its readiness notifies queue. Returns a handle for
    /// <see cref="Unregister"/>, or -errno (EPERM: the fd cannot be polled, e.g. a regular file,
    /// which is always ready).
    /// </summary>
    public int Register(int fd, WaitQueue queue)
    {
        if (_epfd < 0) return -Errno.ENOSYS;
        int slot;
        uint gen;
        lock (_lock)
        {
            if (_freeCount > 0)
            {
                slot = _free[--_freeCount];
            }
            else
            {
                if (_used == _queues.Length)
                {
                    Array.Resize(ref _queues, _used * 2);
                    Array.Resize(ref _generations, _used * 2);
                    Array.Resize(ref _free, _used * 2);
                }
                slot = _used++;
            }
            _queues[slot] = queue;
            gen = ++_generations[slot];
            _thread ??= StartThread();
        }
        var ev = new EpollEvent { Events = Interest, Data = (ulong)gen << 32 | (uint)slot };
        if (Libc.EpollCtl(_epfd, Libc.EPOLL_CTL_ADD, fd, &ev) == 0) return slot;
        int e = Libc.LastErrno;
        Release(slot);
        return -e;
    }

    /// <summary>Stops watching fd (call before closing it).</summary>
    public void Unregister(int handle, int fd)
    {
        if (handle < 0) return;
        Libc.EpollCtl(_epfd, Libc.EPOLL_CTL_DEL, fd, null);
        Release(handle);
    }

    private void Release(int slot)
    {
        lock (_lock)
        {
            _queues[slot] = null;
            _generations[slot]++;
            _free[_freeCount++] = slot;
        }
    }

    private Thread StartThread()
    {
        var t = new Thread(Loop, 128 * 1024) { IsBackground = true, Name = "host-poller" };
        t.Start();
        return t;
    }

    private void Loop()
    {
        EpollEvent* events = stackalloc EpollEvent[Batch];
        while (true)
        {
            int n = Libc.EpollWait(_epfd, events, Batch, -1);
            if (n < 0)
            {
                if (Libc.LastErrno == Errno.EINTR) continue;
                return;
            }
            for (int i = 0; i < n; i++)
            {
                int slot = (int)(uint)events[i].Data;
                uint gen = (uint)(events[i].Data >> 32);
                WaitQueue? q;
                lock (_lock) q = _generations[slot] == gen ? _queues[slot] : null;
                q?.Notify(Translate(events[i].Events));
            }
        }
    }

    /// <summary>Host epoll bits are Linux's; the normal-data aliases are added for waiters that ask for them.</summary>
    private static uint Translate(uint events)
    {
        if ((events & PollEvents.In) != 0) events |= PollEvents.RdNorm;
        if ((events & PollEvents.Out) != 0) events |= PollEvents.WrNorm;
        return events & ~Libc.EPOLLET;
    }
}
