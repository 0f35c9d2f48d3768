using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Vfs;

/// <summary>
/// Signal-driven I/O of one open file description (Linux's fown_struct and fasync entry): the owner
/// set by F_SETOWN/F_SETOWN_EX, the signal of F_SETSIG, and, while O_ASYNC is on, a subscription to
/// the file's readiness queue that signals the owner whenever the file becomes readable, writable
/// or hung up. As Linux's send_sigio: no F_SETSIG (0) sends SIGIO with SI_KERNEL; a chosen signal
/// carries si_code POLL_IN/OUT/ERR/PRI/HUP, si_band and si_fd, and falls back to SIGIO when its
/// real-time queue is full; the owner's credentials at F_SETOWN must match the target's (sigio_perm).
/// </summary>
public sealed class FileAsync : IWaiter
{
    public const int OwnerTid = 0, OwnerPid = 1, OwnerPgrp = 2;

    private const int PollIn = 1, PollOut = 2, PollErr = 4, PollPri = 5, PollHup = 6;
    private const int SiKernel = 0x80;

    private readonly FileDescription _file;
    private readonly object _lock = new();
    private Kernel.Kernel? _kernel;
    private int _ownerType = OwnerPid, _ownerId;
    private Task? _ownerTask;
    private ThreadGroup? _ownerGroup;
    private uint _ownerUid, _ownerEuid;
    private int _signal, _fd;
    private WaitQueue? _subscribed;

    public FileAsync(FileDescription file) => _file = file;

    /// <summary>F_GETSIG: 0 means SIGIO without siginfo details.</summary>
    public int Signal => Volatile.Read(ref _signal);

    public void SetSignal(int sig) => Volatile.Write(ref _signal, sig);

    /// <summary>The owner as F_GETOWN_EX reports it (id 0: none).</summary>
    public (int Type, int Id) Owner
    {
        get { lock (_lock) return (_ownerType, _ownerId); }
    }

    /// <summary>F_SETOWN/F_SETOWN_EX: id 0 clears the owner. The caller resolved id to task or group (ESRCH otherwise).</summary>
    public void SetOwner(Task caller, int type, int id, Task? task, ThreadGroup? group)
    {
        var creds = caller.ThreadGroup.Creds;
        lock (_lock)
        {
            _kernel = caller.Kernel;
            _ownerType = type;
            _ownerId = id;
            _ownerTask = task;
            _ownerGroup = group;
            _ownerUid = creds.Uid;
            _ownerEuid = creds.Euid;
        }
    }

    /// <summary>
    /// O_ASYNC on or off (F_SETFL, FIOASYNC). fd is the descriptor named in the call, reported as
    /// si_fd. Files that cannot signal I/O keep the flag without effect, as Linux's setfl does for
    /// a file without ->fasync.
    /// </summary>
    public void Enable(int fd, bool on)
    {
        WaitQueue? subscribe = null, unsubscribe = null;
        lock (_lock)
        {
            _fd = fd;
            if (on && _subscribed is null && _file.SignalsIo && _file.ReadinessQueue is { } q)
            {
                _subscribed = q;
                subscribe = q;
            }
            else if (!on && _subscribed is not null)
            {
                unsubscribe = _subscribed;
                _subscribed = null;
            }
        }
        subscribe?.Subscribe(this, InterestMask());
        unsubscribe?.Unsubscribe(this);
    }

    /// <summary>The description's last reference is gone.</summary>
    public void Released() => Enable(_fd, false);

    /// <summary>Linux signals readers on input and writers on output space; everyone on errors and hangups.</summary>
    private uint InterestMask()
    {
        uint mask = PollEvents.Err | PollEvents.Hup;
        if (_file.Readable) mask |= PollEvents.In | PollEvents.Pri | PollEvents.RdHup;
        if (_file.Writable) mask |= PollEvents.Out;
        return mask;
    }

    public bool OnNotify(uint events)
    {
        int reason;
        uint band;
        if ((events & PollEvents.In) != 0 && _file.Readable) (reason, band) = (PollIn, PollEvents.In | PollEvents.RdNorm);
        else if ((events & PollEvents.Out) != 0 && _file.Writable) (reason, band) = (PollOut, PollEvents.Out | PollEvents.WrNorm | PollEvents.WrBand);
        else if ((events & PollEvents.Err) != 0) (reason, band) = (PollErr, PollEvents.Err);
        else if ((events & PollEvents.Pri) != 0) (reason, band) = (PollPri, PollEvents.Pri | PollEvents.RdBand);
        else if ((events & (PollEvents.Hup | PollEvents.RdHup)) != 0) (reason, band) = (PollHup, PollEvents.Hup | PollEvents.Err);
        else return false;
        Kernel.Kernel? kernel;
        int type, id, sig, fd;
        Task? task;
        ThreadGroup? group;
        lock (_lock)
        {
            (kernel, type, id, task, group, sig, fd) = (_kernel, _ownerType, _ownerId, _ownerTask, _ownerGroup, _signal, _fd);
        }
        if (kernel is null || id == 0) return false;
        var info = sig == 0
            ? new SigInfo { Signo = Libc.SIGIO, Code = SiKernel }
            : new SigInfo { Signo = sig, Code = reason, Addr = band, Status = fd };
        switch (type)
        {
            case OwnerTid:
                if (task is not null && !task.Exiting && MaySignal(task.ThreadGroup) && task.SendSignal(in info) == -Errno.EAGAIN)
                    task.SendSignal(new SigInfo { Signo = Libc.SIGIO, Code = SiKernel });
                break;
            case OwnerPid:
                if (group is not null) SignalGroup(kernel, group, in info);
                break;
            default:
                foreach (var g in kernel.Pids.Groups())
                    if (g.Pgid == id) SignalGroup(kernel, g, in info);
                break;
        }
        return false;
    }

    private void SignalGroup(Kernel.Kernel kernel, ThreadGroup g, in SigInfo info)
    {
        if (g.Zombie || !MaySignal(g)) return;
        if (kernel.SendGroupSignal(g, in info, fromHost: false) == -Errno.EAGAIN)
            kernel.SendGroupSignal(g, new SigInfo { Signo = Libc.SIGIO, Code = SiKernel }, fromHost: false);
    }

    /// <summary>sigio_perm: the owner's effective uid is root or one of the target's real/saved uids, or its real uid is.</summary>
    private bool MaySignal(ThreadGroup target)
    {
        var c = target.Creds;
        return _ownerEuid == 0 || _ownerEuid == c.Suid || _ownerEuid == c.Uid || _ownerUid == c.Suid || _ownerUid == c.Uid;
    }
}
