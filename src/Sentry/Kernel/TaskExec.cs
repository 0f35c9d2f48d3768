using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Loader;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Platform;
using Csrunsc.Sentry.Syscalls;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Kernel;

/// <summary>execve: replaces the task's image with a new program in a new address space and stub.</summary>
public sealed partial class Task
{
    private const int MaxInterpreterDepth = 4;

    /// <summary>BINPRM_FLAGS_ENFORCE_NONDUMP for the exec in progress: one of its files was unreadable.</summary>
    private bool _execUnreadable;

    /// <summary>Opens a file for execution: resolves it, checks it is a regular executable file.</summary>
    public int OpenExecutable(int dirfd, string path, bool followFinal, out FileDescription? file)
    {
        file = null;
        int r = PathResolver.Resolve(this, dirfd, path, followFinal, out VfsPath? loc);
        if (r < 0) return r;
        var inode = loc!.Inode;
        if (inode.IsDirectory) return -Errno.EACCES;
        if (inode.IsSymlink) return -Errno.ELOOP;
        if (!Vfs.FileMode.IsRegular(inode.Mode)) return -Errno.EACCES;
        if ((inode.Mode & 0x49) == 0) return -Errno.EACCES; // no x bit at all
        if (loc.Mount.NoExec) return -Errno.EACCES;
        // do_open_execat's may_open(MAY_EXEC) with the fs ids and effective capabilities.
        r = Syscalls.File.FilePermissions.Check(this, inode, Syscalls.File.FilePermissions.MayExec);
        if (r < 0) return r;
        // would_dump: a file the caller cannot read makes the new image non-dumpable.
        if (Syscalls.File.FilePermissions.Check(this, inode, Syscalls.File.FilePermissions.MayRead) < 0) _execUnreadable = true;
        r = inode.Open(Libc.O_RDONLY, out file);
        if (r < 0) return r;
        file!.Location = loc;
        Vfs.Inotify.Fsnotify.Opened(file);
        return 0;
    }

    /// <summary>execve(2)/execveat(2). On success the registers are the new program's (NoReturn).</summary>
    public long Exec(int dirfd, string path, string[] argv, string[] envp, bool followFinal = true)
    {
        string execPath = path;
        FileDescription? file = null;
        Span<byte> headBuf = stackalloc byte[256];
        _execUnreadable = false;
        try
        {
            for (int depth = 0; ; depth++)
            {
                int r = OpenExecutable(dirfd, path, followFinal, out file);
                if (r < 0) return r;
                Span<byte> head = headBuf;
                long n = file!.Read(this, head, 0);
                if (n < 0) return n;
                if (n > 0) Vfs.Inotify.Fsnotify.Accessed(file); // kernel_read's fsnotify_access
                head = head[..(int)n];
                if (ElfLoader.IsElf(head)) break;
                if (n < 2 || head[0] != (byte)'#' || head[1] != (byte)'!' || depth >= MaxInterpreterDepth) return -Errno.ENOEXEC;
                // #!interpreter [one argument]
                int eol = head.IndexOf((byte)'\n');
                var line = Encoding.UTF8.GetString(eol < 0 ? head[2..] : head[2..eol]).Trim();
                if (line.Length == 0) return -Errno.ENOEXEC;
                int sp = line.IndexOfAny([' ', '\t']);
                string interp = sp < 0 ? line : line[..sp];
                string? arg = sp < 0 ? null : line[(sp + 1)..].Trim();
                var list = new List<string> { interp };
                if (!string.IsNullOrEmpty(arg)) list.Add(arg);
                list.Add(path);
                list.AddRange(argv.Skip(1));
                argv = list.ToArray();
                file.DecRef();
                file = null;
                path = interp;
                dirfd = Libc.AT_FDCWD;
                followFinal = true;
            }
            return ExecLoaded(file, execPath, argv, envp);
        }
        finally
        {
            file?.DecRef();
        }
    }

    private long ExecLoaded(FileDescription file, string execPath, string[] argv, string[] envp)
    {
        var kernel = Kernel;
        var mm = new MemoryManager(kernel.MemoryFile, kernel.Platform.MinUserAddress, kernel.Platform.MaxUserAddress);
        var creds = ThreadGroup.Creds;
        // The new credentials (set-id bits, file capabilities) of the file finally loaded: for a
        // script its interpreter's, never the script's own (Linux ignores set-id bits on #! files).
        int r = ExecCredentials.Compute(this, file.Location!.Inode, file.Location.Mount, out ExecCredentials.Outcome next);
        if (r < 0)
        {
            mm.RemoveUser();
            return r;
        }
        bool secure = next.Secure;
        var ids = new AuxIds(next.Next.Uid, next.Next.Euid, next.Next.Gid, next.Next.Egid, secure);
        r = ElfLoader.Load(this, mm, file, execPath, argv, envp, in ids, OpenInterpreter, out LoadedImage image);
        if (r < 0)
        {
            mm.RemoveUser();
            return r;
        }

        // Point of no return: other threads go, the old address space and stub go.
        int oldTid = Tid;
        KillOtherThreads();
        if (Tid != ThreadGroup.Tgid)
        {
            // Linux's de_thread: a non-leader that execs takes over the leader's tid. The old
            // leader is gone, and with it Yama's PR_SET_PTRACER exception keyed by it.
            ThreadGroup.DeclaredPtracer = null;
            ThreadGroup.AnyPtracer = false;
            kernel.Pids.RemoveTask(this);
            Tid = ThreadGroup.Tgid;
            kernel.Pids.AddTask(this);
        }
        r = kernel.Platform.NewAddressSpace(out IContext ctx);
        if (r < 0)
        {
            mm.RemoveUser();
            ExitGroup(Libc.SIGKILL);
            return SyscallTable.NoReturn;
        }
        ThreadGroup.Container.Adopt(ctx.HostPid);
        var old = Context;
        bool lastUser = Mm.RemoveUser();
        old?.Release(lastUser);
        Context = ctx;
        Mm = mm;
        VforkDone?.Set();
        VforkDone = null;

        UnshareFds();
        Fds.CloseOnExec();
        // begin_new_exec: a secure exec drops the parent-death signal and caps RLIMIT_STACK's soft
        // limit at 8 MiB; set-id and capability-gaining execs clear PER_CLEAR_ON_SETID; the process
        // is dumpable (SUID_DUMP_USER) unless a file was unreadable or its effective ids (before
        // the exec, as Linux checks them) differ from its real ones (then suid_dumpable).
        if (secure)
        {
            ParentDeathSignal = 0;
            lock (ThreadGroup.Rlimits)
            {
                var stack = ThreadGroup.Rlimits[global::Csrunsc.Sentry.Kernel.Rlimits.STACK];
                if (stack.Cur > StackLimitOnSecureExec) ThreadGroup.Rlimits[global::Csrunsc.Sentry.Kernel.Rlimits.STACK] = (StackLimitOnSecureExec, stack.Max);
            }
        }
        if (next.ClearPersonality) Personality &= ~ExecCredentials.PerClearOnSetid;
        ThreadGroup.Dumpable = _execUnreadable || creds.Euid != creds.Uid || creds.Egid != creds.Gid ? CredentialCommit.SuidDumpable : 1;
        // commit_creds: the new ids and capability sets, with its effects (pdeath signal,
        // dumpability) as for any credential change.
        var c = ThreadGroup.Creds;
        var before = CredentialCommit.Snapshot(c);
        var n = next.Next;
        c.Euid = n.Euid;
        c.Egid = n.Egid;
        c.Suid = n.Suid;
        c.Fsuid = n.Fsuid;
        c.Sgid = n.Sgid;
        c.Fsgid = n.Fsgid;
        c.Caps = n.Caps;
        CredentialCommit.Committed(ThreadGroup, in before);
        if (ThreadGroup.Handlers.Actions.Length > 0)
        {
            ThreadGroup.Handlers = ThreadGroup.Handlers.Clone();
            ThreadGroup.Handlers.ResetForExec();
        }
        string name = execPath;
        int slash = name.LastIndexOf('/');
        if (slash >= 0) name = name[(slash + 1)..];
        ThreadGroup.PosixTimers.DeleteAll(); // itimers and alarm survive exec, POSIX timers do not
        ThreadGroup.Comm = name.Length > 15 ? name[..15] : name;
        AltStackSp = AltStackSize = 0;
        AltStackFlags = 2;
        ClearChildTid = 0;

        var regs = new UserRegs
        {
            Rip = image.Entry, Rsp = image.StackPointer, Cs = 0x33, Ss = 0x2b,
            Eflags = 0x202, OrigRax = ulong.MaxValue,
        };
        Regs = regs;
        if (Tracer is not null) PtraceAfterExec(oldTid);
        return SyscallTable.NoReturn;
    }

    /// <summary>_STK_LIM: the soft RLIMIT_STACK a secure exec keeps at most.</summary>
    private const ulong StackLimitOnSecureExec = 8UL << 20;

    private (int, FileDescription?) OpenInterpreter(string path)
    {
        int r = OpenExecutable(Libc.AT_FDCWD, path, true, out FileDescription? f);
        return r < 0 ? (r, null) : (0, f);
    }

    /// <summary>execve in a multi-threaded process: every other thread is killed first.</summary>
    private void KillOtherThreads()
    {
        var others = ThreadGroup.TasksSnapshot().Where(t => t != this).ToArray();
        if (others.Length == 0) return;
        foreach (var t in others)
        {
            // de_thread: the leader a non-leader replaces is released without a wait by anyone
            // (its tracer included); the execing thread takes its tid.
            if (t.Tid == ThreadGroup.Tgid) t.ReplacedByExec = true;
            t.Exiting = true;
            t.Interrupt();
        }
        while (ThreadGroup.TasksSnapshot().Length > 1) Thread.Sleep(1);
    }
}
