using Csrunsc.Native;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Platform;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// One guest thread. It runs on its own dedicated OS thread, which is also the ptrace tracer of the
/// stub thread executing its code (a tracee belongs to the thread that attached it).
/// </summary>
public sealed partial class Task
{
    [ThreadStatic] private static Task? t_current;

    /// <summary>The task whose OS thread is running (null on non-task threads).</summary>
    public static Task? Current => t_current;

    public Task(Kernel kernel, ThreadGroup group, int tid, MemoryManager mm, FdTable fds, FsContext fs)
    {
        Kernel = kernel;
        ThreadGroup = group;
        Tid = tid;
        Mm = mm;
        Fds = fds;
        Fs = fs;
        IpcNs = kernel.Ipc;
    }

    /// <summary>The IPC namespace the task's SysV and POSIX IPC calls use (nsproxy's ipc_ns).</summary>
    public Ipc.IpcNamespace IpcNs { get; set; }

    public Kernel Kernel { get; }
    public ThreadGroup ThreadGroup { get; set; }

    /// <summary>Guest thread id in the sandbox's pid namespace.</summary>
    public int Tid { get; private set; }

    public MemoryManager Mm { get; set; }
    public FdTable Fds { get; set; }

    /// <summary>Gives this task its own copy of a shared fd table (execve, unshare(CLONE_FILES), close_range's CLOSE_RANGE_UNSHARE).</summary>
    public void UnshareFds()
    {
        var old = Fds;
        if (!old.Shared) return;
        Fds = old.Fork();
        old.RemoveUser();
    }
    public FsContext Fs { get; set; }

    /// <summary>The guest's registers while it is stopped in the Sentry.</summary>
    public UserRegs Regs;

    /// <summary>The platform context executing this task's guest code (the stub thread).</summary>
    public IContext? Context { get; set; }

    public ulong SignalMask;
    public readonly PendingSignals Pending = new();

    /// <summary>Mask to restore after a signal handler started by rt_sigsuspend/ppoll returns.</summary>
    public ulong? SavedSignalMask;

    /// <summary>What restart_syscall resumes after -ERESTART_RESTARTBLOCK (see <see cref="RestartBlock"/>).</summary>
    public RestartBlock Restart;

    public ulong ClearChildTid;
    public ulong RobustList;
    public ulong AltStackSp, AltStackSize;
    public int AltStackFlags = 2; // SS_DISABLE

    /// <summary>Buffer for copying between guest memory and files when a buffer is not contiguous.</summary>
    public readonly byte[] Scratch = new byte[64 * 1024];

    /// <summary>Set once the task is on its way out (exit, exit_group, fatal signal).</summary>
    public volatile bool Exiting;

    /// <summary>Nice value, -20..19 (setpriority; inherited by clone).</summary>
    public int Nice;

    /// <summary>personality(2)'s persona (inherited by clone, kept across exec).</summary>
    public uint Personality;

    /// <summary>set_mempolicy's policy (mode | mode flags) and nodemask; inherited by clone, kept across exec.</summary>
    public int NumaPolicy;
    public ulong NumaNodes;

    /// <summary>
    /// PR_SET_NO_NEW_PRIVS: a task flag as Linux's PFA_NO_NEW_PRIVS, not a credential: set by one
    /// thread it holds for that thread only (and threads synced by SECCOMP_FILTER_FLAG_TSYNC),
    /// inherited by clone/fork, kept across execve, never cleared.
    /// </summary>
    public bool NoNewPrivs;

    /// <summary>PR_SET_PDEATHSIG: signal sent to this task's process when its parent exits (0: none).</summary>
    public int ParentDeathSignal;

    /// <summary>Reads guest memory; 0 or -EFAULT.</summary>
    public int CopyIn(ulong addr, Span<byte> dst) => Mm.CopyIn(addr, dst);

    /// <summary>Writes guest memory; 0 or -EFAULT.</summary>
    public int CopyOut(ulong addr, ReadOnlySpan<byte> src) => Mm.CopyOut(addr, src);

    public unsafe int ReadStruct<T>(ulong addr, out T value) where T : unmanaged
    {
        T v = default;
        int r = Mm.CopyIn(addr, new Span<byte>(&v, sizeof(T)));
        value = v;
        return r;
    }

    public unsafe int WriteStruct<T>(ulong addr, in T value) where T : unmanaged
    {
        fixed (T* p = &value) return Mm.CopyOut(addr, new ReadOnlySpan<byte>(p, sizeof(T)));
    }

    /// <summary>Reads a NUL-terminated string of at most max bytes (PATH_MAX for paths): 0, -EFAULT or -ENAMETOOLONG.</summary>
    public int CopyInString(ulong addr, int max, out string value) => Mm.CopyInString(addr, max, out value);
}
