using Csrunsc.Native;

namespace Csrunsc.Sentry.Platform.Ptrace;

/// <summary>
/// Runs guest code in stub processes traced with PTRACE_SYSEMU. One stub process per address
/// space, one stub thread per guest thread, each traced by its task's own OS thread.
/// </summary>
public sealed unsafe class PtracePlatform : IPlatform
{
    private readonly byte[] _stubPath;

    /// <param name="stubPath">Where the stub ELF is (written by <see cref="InstallStub"/>), as the Sentry sees it.</param>
    /// <param name="memoryFileFd">The memory file every stub maps guest memory from.</param>
    public PtracePlatform(string stubPath, int memoryFileFd, StubImage image)
    {
        _stubPath = Libc.CString(stubPath);
        MemoryFileFd = memoryFileFd;
        Image = image;
    }

    public string Name => "ptrace";

    internal StubDeathWatch DeathWatch { get; } = new();

    public Action<int>? AddressSpaceLost
    {
        get => DeathWatch.Died;
        set => DeathWatch.Died = value;
    }

    public ulong MinUserAddress => 0x10000;
    public ulong MaxUserAddress => StubImage.Base;
    public StubImage Image { get; }
    public int MemoryFileFd { get; }

    /// <summary>Writes the stub executable (mode 0555).</summary>
    public static void InstallStub(string path, StubImage image)
    {
        File.WriteAllBytes(path, image.Elf);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    public int NewAddressSpace(out IContext context)
    {
        context = null!;
        int pid = SpawnStub();
        if (pid < 0) return pid;
        // The stub traces itself to us (TRACEME: tracer = this OS thread) and stops at an int3 (SIGTRAP).
        int r = Libc.WaitPidRetry(pid, out int status, Libc.__WALL);
        if (r != pid || !Libc.WIfStopped(status) || Libc.WStopSig(status) != Libc.SIGTRAP)
        {
            Libc.Kill(pid, Libc.SIGKILL);
            Libc.WaitPidRetry(pid, out _, Libc.__WALL);
            return -Errno.ECHILD;
        }
        if (Libc.Ptrace(Libc.PTRACE_SETOPTIONS, pid, 0, Libc.PTRACE_O_TRACESYSGOOD | Libc.PTRACE_O_EXITKILL) < 0)
        {
            int e = Libc.LastErrno;
            Libc.Kill(pid, Libc.SIGKILL);
            Libc.WaitPidRetry(pid, out _, Libc.__WALL);
            return -e;
        }
        context = new PtraceContext(this, pid, pid, isLeader: true);
        DeathWatch.Watch(pid);
        return 0;
    }

    public int AttachThread(ThreadHandle handle, out IContext context)
    {
        context = null!;
        int tid = handle.HostTid;
        // The new thread waits in pause() in the stub; seize it and stop it here.
        if (Libc.Ptrace(Libc.PTRACE_SEIZE, tid, 0, Libc.PTRACE_O_TRACESYSGOOD | Libc.PTRACE_O_EXITKILL) < 0)
            return -Libc.LastErrno;
        if (Libc.Ptrace(Libc.PTRACE_INTERRUPT, tid, 0, 0) < 0) return -Libc.LastErrno;
        while (true)
        {
            int r = Libc.WaitPidRetry(tid, out int status, Libc.__WALL);
            if (r < 0) return -Libc.LastErrno;
            if (!Libc.WIfStopped(status)) return -Errno.ESRCH;
            if ((status >> 16) == Libc.PTRACE_EVENT_STOP) break;
            // A signal-delivery stop (e.g. an early interrupt): suppress it and wait for the event stop.
            Libc.Ptrace(Libc.PTRACE_CONT, tid, 0, 0);
        }
        context = new PtraceContext(this, handle.HostPid, tid, isLeader: false);
        return 0;
    }

    private int SpawnStub()
    {
        byte* fa = stackalloc byte[128];
        byte* attr = stackalloc byte[512];
        Libc.SpawnFileActionsInit(fa);
        Libc.SpawnAttrInit(attr);
        try
        {
            Libc.SpawnFileActionsAddDup2(fa, MemoryFileFd, StubImage.MemoryFileFd);
            Libc.SpawnFileActionsAddCloseFrom(fa, StubImage.MemoryFileFd + 1);
            ulong empty = 0, all = ~0UL;
            Libc.SpawnAttrSetSigMask(attr, &empty);
            Libc.SpawnAttrSetSigDefault(attr, &all);
            Libc.SpawnAttrSetFlags(attr, Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF);
            byte* argv0 = stackalloc byte[8];
            argv0[0] = (byte)'s'; argv0[1] = (byte)'t'; argv0[2] = (byte)'u'; argv0[3] = (byte)'b'; argv0[4] = 0;
            byte** argv = stackalloc byte*[2];
            argv[0] = argv0;
            argv[1] = null;
            byte** envp = stackalloc byte*[1];
            envp[0] = null;
            int pid;
            fixed (byte* path = _stubPath)
            {
                int err = Libc.PosixSpawn(&pid, path, fa, attr, argv, envp);
                if (err != 0) return -err;
            }
            return pid;
        }
        finally
        {
            Libc.SpawnFileActionsDestroy(fa);
            Libc.SpawnAttrDestroy(attr);
        }
    }
}
