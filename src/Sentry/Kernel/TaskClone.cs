using Csrunsc.Native;
using Csrunsc.Sentry.Platform;

namespace Csrunsc.Sentry.Kernel;

/// <summary>fork, vfork and clone: new tasks, thread groups and address spaces.</summary>
public sealed partial class Task
{
    public const ulong CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800,
        CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000,
        CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000,
        CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000,
        CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x1000000, CLONE_NEWCGROUP = 0x2000000,
        CLONE_NEWUTS = 0x4000000, CLONE_NEWIPC = 0x8000000, CLONE_NEWUSER = 0x10000000,
        CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000, CLONE_IO = 0x80000000, CLONE_CLEAR_SIGHAND = 0x1_0000_0000;

    /// <summary>clone(2). Returns the child's tid in the parent, or -errno.</summary>
    public long Clone(ulong flags, ulong stack, ulong parentTidPtr, ulong childTidPtr, ulong tls)
    {
        if ((flags & CLONE_THREAD) != 0 && (flags & CLONE_SIGHAND) == 0) return -Errno.EINVAL;
        if ((flags & CLONE_SIGHAND) != 0 && (flags & CLONE_VM) == 0) return -Errno.EINVAL;
        if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) || (flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
            return -Errno.EINVAL;
        if ((flags & CLONE_THREAD) != 0 && (flags & (CLONE_NEWUSER | CLONE_NEWPID)) != 0) return -Errno.EINVAL;
        // The child's fs base must be a user address (x86's do_arch_prctl_64 ARCH_SET_FS).
        if ((flags & CLONE_SETTLS) != 0 && tls >= Ptrace.PtraceAbi.TaskSizeMax) return -Errno.EPERM;
        if ((flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)) != 0)
            return -Errno.EPERM;
        // A new IPC namespace is the only one a guest can make (CAP_SYS_ADMIN); it cannot share SEM_UNDO lists.
        if ((flags & CLONE_NEWIPC) != 0 && (!Capabilities.Has(this, Capabilities.SYS_ADMIN) || (flags & CLONE_SYSVSEM) != 0))
            return -Errno.EPERM;
        var kernel = Kernel;
        int nproc = Rlimits.CheckNproc(this);
        if (nproc < 0) return nproc;
        int tid = kernel.Pids.Allocate();
        if (tid < 0) return -Errno.EAGAIN;

        var parentGroup = ThreadGroup;
        ThreadGroup group;
        if ((flags & CLONE_THREAD) != 0)
        {
            group = parentGroup;
        }
        else
        {
            var handlers = (flags & CLONE_SIGHAND) != 0 ? parentGroup.Handlers : parentGroup.Handlers.Clone();
            // clone3's CLONE_CLEAR_SIGHAND: handled signals start at their default, ignored ones stay ignored.
            if ((flags & CLONE_CLEAR_SIGHAND) != 0) handlers.ResetForExec();
            var parent = (flags & CLONE_PARENT) != 0 ? parentGroup.Parent ?? parentGroup : parentGroup;
            group = new ThreadGroup(kernel, tid, parent, handlers, parentGroup.Creds.Clone())
            {
                Pgid = parentGroup.Pgid, Sid = parentGroup.Sid, Tty = parentGroup.Tty, Comm = parentGroup.Comm,
                ExitSignal = (int)(flags & 0xff), Dumpable = parentGroup.Dumpable, Container = parentGroup.Container,
            };
            group.ParentTask = parent == parentGroup ? this : parentGroup.ParentTask;
            lock (parentGroup.Rlimits) Array.Copy(parentGroup.Rlimits, group.Rlimits, group.Rlimits.Length);
            group.OomScoreAdj = parentGroup.OomScoreAdj;
            group.OomScoreAdjMin = parentGroup.OomScoreAdjMin;
            Rlimits.ArmCpuLimit(group);
            if ((flags & CLONE_SYSVSEM) != 0)
            {
                // The child shares the parent's SEM_UNDO list (fork gives it none).
                lock (kernel.Ipc.Sem.Lock) parentGroup.SemUndo ??= new Ipc.SemUndoList();
                parentGroup.SemUndo.AddRef();
                group.SemUndo = parentGroup.SemUndo;
            }
        }

        var mm = Mm;
        if ((flags & CLONE_VM) != 0) mm.AddUser();
        else mm = mm.Fork(Context);
        var fds = Fds;
        if ((flags & CLONE_FILES) != 0) fds.AddUser();
        else fds = fds.Fork();
        var fs = (flags & CLONE_FS) != 0 ? Fs : Fs.Clone();

        var child = new Task(kernel, group, tid, mm, fds, fs)
        {
            Regs = Regs,
            SignalMask = SignalMask,
            Nice = Nice,
            Personality = Personality,
            NumaPolicy = NumaPolicy,
            NumaNodes = NumaNodes,
            Seccomp = Seccomp,
            NoNewPrivs = NoNewPrivs,
        };
        child.IpcNs = (flags & CLONE_NEWIPC) != 0 ? new Ipc.IpcNamespace(kernel.MemoryFile) : IpcNs;
        child.Regs.Rax = 0;
        if (stack != 0) child.Regs.Rsp = stack;
        if ((flags & CLONE_SETTLS) != 0) child.Regs.FsBase = tls;
        if ((flags & CLONE_CHILD_CLEARTID) != 0) child.ClearChildTid = childTidPtr;
        if ((flags & CLONE_VM) == 0)
        {
            child.AltStackSp = AltStackSp;
            child.AltStackSize = AltStackSize;
            child.AltStackFlags = AltStackFlags;
        }

        // The child's FP/SSE state starts as the parent's.
        var fx = new byte[512];
        Context!.GetFpState(fx);

        Func<Task, int> acquire;
        if ((flags & CLONE_VM) != 0)
        {
            int r = Context.PrepareThread(out ThreadHandle handle);
            if (r < 0)
            {
                mm.RemoveUser();
                return r;
            }
            acquire = t =>
            {
                int e = kernel.Platform.AttachThread(handle, out IContext ctx);
                if (e < 0) return e;
                t.Context = ctx;
                ctx.SetFpState(fx);
                return 0;
            };
        }
        else
        {
            acquire = t =>
            {
                int e = kernel.Platform.NewAddressSpace(out IContext ctx);
                if (e < 0) return e;
                t.Context = ctx;
                t.ThreadGroup.Container.Adopt(ctx.HostPid);
                ctx.SetFpState(fx);
                return 0;
            };
        }

        if ((flags & CLONE_PARENT_SETTID) != 0) WriteStruct(parentTidPtr, tid);
        if ((flags & CLONE_CHILD_SETTID) != 0) mm.CopyOut(childTidPtr, BitConverter.GetBytes(tid));

        ManualResetEventSlim? vforkDone = null;
        if ((flags & CLONE_VFORK) != 0) child.VforkDone = vforkDone = new ManualResetEventSlim(false);

        kernel.Pids.AddTask(child);
        if (group != parentGroup)
        {
            kernel.Pids.AddGroup(group);
            var p = group.Parent!;
            lock (p) p.Children.Add(group);
        }
        group.AddTask(child);
        // The tracer follows the child when it asked to (or CLONE_PTRACE): attached before its first instruction.
        int ptraceEvent = PtraceCloneEvent(flags, out bool traceChild);
        if (traceChild) PtraceInheritTo(child);
        // The child answers whether the host gave it a thread and a stub before fork returns: a
        // host refusal (pids limit, memory) is the guest's EAGAIN/ENOMEM, never a child that dies.
        var started = new CloneStart();
        child._cloneStart = started;
        if (!child.TryStart(t =>
            {
                int e = acquire(t);
                started.Result = e;
                started.Done.Set();
                return e;
            }))
        {
            child.UndoFailedClone();
            return -Errno.EAGAIN;
        }
        started.Done.Wait();
        if (started.Result < 0)
        {
            // The child's thread undoes its bookkeeping itself (FinishExit); wait until it has.
            started.Undone.Wait();
            int e = started.Result;
            return e is -Errno.ENOMEM or -Errno.EAGAIN ? e : -Errno.EAGAIN;
        }

        if (ptraceEvent != 0) PtraceEvent(ptraceEvent, (ulong)tid);
        if (vforkDone is not null)
        {
            // Linux's vfork wait is only killable; a plain wait on the child is enough here.
            while (!vforkDone.Wait(50))
            {
                if (Exiting) break;
            }
            if (ptraceEvent != 0 && !Exiting) PtraceEvent(Ptrace.PtraceAbi.EVENT_VFORK_DONE, (ulong)tid);
        }
        return tid;
    }

    /// <summary>How a cloned task's start went: set by its thread once it has (or has not) got its context.</summary>
    private sealed class CloneStart
    {
        public readonly ManualResetEventSlim Done = new(false), Undone = new(false);
        public int Result;
    }

    /// <summary>Set on a cloned task until its context is acquired (a failure then undoes the clone silently).</summary>
    private CloneStart? _cloneStart;

    /// <summary>
    /// A clone whose child never ran: it leaves the pid namespace, its thread group and (if it
    /// made one) its parent's children without a trace — no SIGCHLD, no zombie.
    /// </summary>
    private void UndoFailedClone()
    {
        var tg = ThreadGroup;
        var kernel = Kernel;
        Context?.Release(Mm.RemoveUser());
        Context = null;
        VforkDone?.Set();
        kernel.Pids.RemoveTask(this);
        bool last = tg.RemoveTask(this);
        Fds.RemoveUser();
        if (last)
        {
            if (tg.Parent is { } p)
                lock (p) p.Children.Remove(tg);
            kernel.Pids.RemoveGroup(tg);
        }
        _cloneStart?.Undone.Set();
    }
}
