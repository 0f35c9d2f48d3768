using Csrunsc.Native;

namespace Csrunsc.Sentry.Platform.Ptrace;

/// <summary>
/// Notices a stub process killed from outside the sandbox (an operator's `kill -9`, the host's
/// OOM killer). Its tracer only learns of it at the next switch into the guest, and a task that is
/// blocked in the Sentry (nanosleep, wait4, a read) may never switch again: the guest process
/// would hang on with no host process under it. One thread waits on a pidfd per stub process
/// (readable once the process has exited) and reports the host pid to <see cref="Died"/>.
/// </summary>
internal sealed unsafe class StubDeathWatch
{
    private const int SYS_pidfd_open = 434;

    private readonly Lock _lock = new();
    /// <summary>Per watched pid: its pidfd and the watch's generation (epoll data carries both, so an
    /// event of a forgotten stub is never taken for a new stub that reused its pid number).</summary>
    private readonly Dictionary<int, (int Pidfd, uint Generation)> _pidfds = [];
    private uint _generation;
    private int _epoll = -1;

    /// <summary>Called on the watch thread with the host pid of a stub that died while watched.</summary>
    public Action<int>? Died { get; set; }

    /// <summary>Starts watching a new stub process; a host without pidfds (before 5.3) just goes unwatched.</summary>
    public void Watch(int pid)
    {
        lock (_lock)
        {
            if (_epoll < 0 && !Start()) return;
            int pidfd = (int)Libc.Syscall(SYS_pidfd_open, pid, 0, 0, 0, 0, 0);
            if (pidfd < 0) return;
            uint generation = ++_generation;
            var ev = new EpollEvent { Events = Libc.EPOLLIN, Data = ((ulong)generation << 32) | (uint)pid };
            if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, pidfd, &ev) < 0)
            {
                Libc.Close(pidfd);
                return;
            }
            _pidfds[pid] = (pidfd, generation);
        }
    }

    /// <summary>Stops watching before the Sentry itself ends the stub (its death is then expected).</summary>
    public void Forget(int pid)
    {
        lock (_lock)
        {
            if (!_pidfds.Remove(pid, out var watch)) return;
            Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_DEL, watch.Pidfd, null);
            Libc.Close(watch.Pidfd);
        }
    }

    private bool Start()
    {
        _epoll = Libc.EpollCreate1(Libc.O_CLOEXEC);
        if (_epoll < 0) return false;
        new Thread(Run) { IsBackground = true, Name = "stub-death-watch" }.Start();
        return true;
    }

    private void Run()
    {
        var events = stackalloc EpollEvent[16];
        while (true)
        {
            int n = Libc.EpollWait(_epoll, events, 16, -1);
            if (n < 0)
            {
                if (Libc.LastErrno == Errno.EINTR) continue;
                return;
            }
            for (int i = 0; i < n; i++)
            {
                int pid = (int)(uint)events[i].Data;
                uint generation = (uint)(events[i].Data >> 32);
                bool watched;
                lock (_lock) watched = _pidfds.TryGetValue(pid, out var watch) && watch.Generation == generation;
                if (!watched) continue; // forgotten meanwhile (the Sentry ended it itself), maybe its pid reused
                Forget(pid);
                Died?.Invoke(pid);
            }
        }
    }
}
