using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>clone/fork/vfork/execve/exit/wait4.</summary>
internal static class SysLifecycle
{
    public static long Clone(Task t, in SyscallArguments a)
    {
        // x86-64 argument order: flags, stack, parent_tid, child_tid, tls. Only the low 32 bits are
        // flags (kernel_clone_args from clone(2)); clone3's CLONE_CLEAR_SIGHAND cannot come this way.
        ulong flags = (uint)a.A0;
        t.Kernel.ArgumentUse.Clone(flags);
        if ((flags & Task.CLONE_PIDFD) == 0) return t.Clone(flags, a.A1, a.A2, a.A3, a.A4);
        // clone's CLONE_PIDFD returns the fd through parent_tid, so the two cannot be combined.
        if ((flags & (Task.CLONE_THREAD | Task.CLONE_DETACHED | Task.CLONE_PARENT_SETTID)) != 0) return -Errno.EINVAL;
        return CloneWithPidfd(t, flags & ~Task.CLONE_PIDFD, a.A1, 0, a.A3, a.A4, a.A2);
    }

    /// <summary>clone with CLONE_PIDFD: the child's pidfd is written (as an int) to pidfdAddr in the parent.</summary>
    private static long CloneWithPidfd(Task t, ulong flags, ulong stack, ulong parentTid, ulong childTid, ulong tls, ulong pidfdAddr)
    {
        // The pidfd's address must be writable before there is a child (no child on EFAULT).
        if (t.WriteStruct(pidfdAddr, -1) < 0) return -Errno.EFAULT;
        long tid = t.Clone(flags, stack, parentTid, childTid, tls);
        if (tid <= 0) return tid;
        var g = t.Kernel.Pids.GroupById((int)tid);
        int fd = g is null ? -Errno.ESRCH : SysPidFd.Install(t, g, 0);
        if (fd >= 0 && t.WriteStruct(pidfdAddr, fd) < 0)
        {
            t.Fds.Close(fd);
            fd = -Errno.EFAULT;
        }
        return tid; // the child exists either way (Linux makes the pidfd first; here a failure only loses the pidfd)
    }

    public static long Clone3(Task t, in SyscallArguments a)
    {
        // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
        // set_tid, set_tid_size (v1, 80 bytes), cgroup (v2, 88). Checked as copy_clone_args_from_user
        // and clone3_args_valid.
        Span<ulong> ca = stackalloc ulong[11];
        ulong size = a.A1;
        if (size < 64) return -Errno.EINVAL;
        if (size > 4096) return -Errno.E2BIG;
        int known = (int)Math.Min(size, 88);
        if (t.CopyIn(a.A0, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ca)[..known]) < 0) return -Errno.EFAULT;
        // A larger struct from a newer libc: what this kernel does not know must be zero.
        Span<byte> rest = stackalloc byte[64];
        for (ulong at = 88; at < size; at += 64)
        {
            var piece = rest[..(int)Math.Min(64, size - at)];
            if (t.CopyIn(a.A0 + at, piece) < 0) return -Errno.EFAULT;
            if (piece.ContainsAnyExcept((byte)0)) return -Errno.E2BIG;
        }
        ulong cflags = ca[0], exitSignal = ca[4], setTid = ca[8], setTidSize = ca[9];
        if (setTidSize > 32 || (setTid == 0 && setTidSize > 0) || (setTid != 0 && setTidSize == 0)) return -Errno.EINVAL;
        // Choosing the child's pid (set_tid) needs CAP_SYS_ADMIN in the pid namespace: not offered.
        if (setTid != 0) return -Errno.EPERM;
        if (exitSignal > 64) return -Errno.EINVAL;
        const ulong CloneIntoCgroup = 0x200000000, Csignal = 0xff, CloneNewTime = 0x80;
        if ((cflags & ~(0xFFFF_FFFFUL | Task.CLONE_CLEAR_SIGHAND | CloneIntoCgroup)) != 0) return -Errno.EINVAL;
        if ((cflags & (Task.CLONE_DETACHED | (Csignal & ~CloneNewTime))) != 0) return -Errno.EINVAL;
        if ((cflags & (Task.CLONE_SIGHAND | Task.CLONE_CLEAR_SIGHAND)) == (Task.CLONE_SIGHAND | Task.CLONE_CLEAR_SIGHAND)) return -Errno.EINVAL;
        if ((cflags & (Task.CLONE_THREAD | Task.CLONE_PARENT)) != 0 && exitSignal != 0) return -Errno.EINVAL;
        if ((ca[5] == 0) != (ca[6] == 0)) return -Errno.EINVAL;
        // Placing the child in another cgroup (CLONE_INTO_CGROUP) and a time namespace are refused, not ignored.
        if ((cflags & CloneIntoCgroup) != 0) return known < 88 || ca[10] > int.MaxValue ? -Errno.EINVAL : -Errno.EOPNOTSUPP;
        if ((cflags & CloneNewTime) != 0) return -Errno.EPERM;
        ulong flags = cflags | exitSignal;
        ulong stack = ca[5] != 0 ? ca[5] + ca[6] : 0;
        if ((ca[0] & Task.CLONE_PIDFD) != 0)
        {
            if ((ca[0] & (Task.CLONE_THREAD | Task.CLONE_DETACHED)) != 0) return -Errno.EINVAL;
            return CloneWithPidfd(t, flags & ~Task.CLONE_PIDFD, stack, ca[3], ca[2], ca[7], ca[1]);
        }
        return t.Clone(flags, stack, ca[3], ca[2], ca[7]);
    }

    public static long Fork(Task t, in SyscallArguments a) => t.Clone((ulong)Libc.SIGCHLD, 0, 0, 0, 0);

    public static long Vfork(Task t, in SyscallArguments a) =>
        t.Clone(Task.CLONE_VM | Task.CLONE_VFORK | (ulong)Libc.SIGCHLD, 0, 0, 0, 0);

    public static long Execve(Task t, in SyscallArguments a) => DoExec(t, Libc.AT_FDCWD, a.A0, a.A1, a.A2, 0);

    public static long Execveat(Task t, in SyscallArguments a) => DoExec(t, a.Int(0), a.A1, a.A2, a.A3, a.Int(4));

    private static long DoExec(Task t, int dirfd, ulong pathAddr, ulong argvAddr, ulong envpAddr, int flags)
    {
        int r = t.CopyInString(pathAddr, 4096, out string path);
        if (r < 0) return r;
        if (path.Length == 0 && (flags & Libc.AT_EMPTY_PATH) == 0) return -Errno.ENOENT;
        r = ReadStringArray(t, argvAddr, out string[] argv);
        if (r < 0) return r;
        r = ReadStringArray(t, envpAddr, out string[] envp);
        if (r < 0) return r;
        return t.Exec(dirfd, path, argv, envp, (flags & Libc.AT_SYMLINK_NOFOLLOW) == 0);
    }

    private static int ReadStringArray(Task t, ulong addr, out string[] values)
    {
        values = [];
        if (addr == 0) return 0;
        var list = new List<string>();
        long total = 0;
        for (int i = 0; ; i++)
        {
            if (i > 0x20000) return -Errno.E2BIG;
            if (t.ReadStruct(addr + (ulong)(i * 8), out ulong p) < 0) return -Errno.EFAULT;
            if (p == 0) break;
            int r = t.CopyInString(p, 128 * 1024, out string s);
            if (r < 0) return r == -Errno.ENAMETOOLONG ? -Errno.E2BIG : r;
            total += s.Length + 1;
            if (total > 2 * 1024 * 1024) return -Errno.E2BIG;
            list.Add(s);
        }
        values = list.ToArray();
        return 0;
    }

    public static long Exit(Task t, in SyscallArguments a)
    {
        t.ExitThread(a.Int(0));
        return SyscallTable.NoReturn;
    }

    public static long ExitGroup(Task t, in SyscallArguments a)
    {
        t.ExitGroup((a.Int(0) & 0xff) << 8);
        return SyscallTable.NoReturn;
    }

    public const int WNOHANG = 1, WUNTRACED = 2, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000,
        __WNOTHREAD = 0x20000000, __WALL = 0x40000000, __WCLONE = unchecked((int)0x80000000);

    public const int P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;

    public static long Wait4(Task t, in SyscallArguments a)
    {
        int pid = a.Int(0);
        int options = a.Int(2);
        if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) != 0) return -Errno.EINVAL;
        if (pid == int.MinValue) return -Errno.ESRCH;
        long r = WaitChild(t, pid, options | WEXITED, out WaitReport rep);
        if (r <= 0) return r;
        if (a.A1 != 0 && t.WriteStruct(a.A1, rep.Status) < 0) return -Errno.EFAULT;
        if (a.A3 != 0 && SysSystem.WriteRusage(t, a.A3, rep.UserNs, rep.SystemNs) < 0) return -Errno.EFAULT;
        return r;
    }

    public static long Waitid(Task t, in SyscallArguments a)
    {
        int idtype = a.Int(0), id = a.Int(1), options = a.Int(3);
        if ((options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) != 0) return -Errno.EINVAL;
        if ((options & (WEXITED | WSTOPPED | WCONTINUED)) == 0) return -Errno.EINVAL;
        int pid;
        switch (idtype)
        {
            case P_ALL: pid = -1; break;
            case P_PID:
                if (id <= 0) return -Errno.EINVAL;
                pid = id;
                break;
            case P_PGID:
                if (id < 0) return -Errno.EINVAL;
                pid = id == 0 ? 0 : -id;
                break;
            case P_PIDFD:
            {
                var f = t.Fds.Get(id);
                if (f is not PidFdFile pf) return -Errno.EBADF;
                pid = pf.Target.Tgid;
                // A non-blocking pidfd makes the wait non-blocking: EAGAIN instead of 0.
                if (f.NonBlocking && (options & WNOHANG) == 0)
                {
                    long nr = WaitChild(t, pid, options | WNOHANG, out WaitReport nrep);
                    if (nr == 0) return -Errno.EAGAIN;
                    return FinishWaitid(t, a, nr, nrep);
                }
                break;
            }
            default: return -Errno.EINVAL;
        }
        long r = WaitChild(t, pid, options, out WaitReport rep);
        return FinishWaitid(t, a, r, rep);
    }

    private static long FinishWaitid(Task t, in SyscallArguments a, long r, WaitReport rep)
    {
        if (r < 0) return r;
        if (a.A2 != 0)
        {
            var info = new SigInfo();
            if (r > 0)
            {
                info.Signo = Libc.SIGCHLD;
                info.Pid = (int)r;
                info.Uid = rep.Uid;
                info.Code = rep.Code;
                info.Status = rep.SiStatus;
            }
            if (t.WriteStruct(a.A2, info) < 0) return -Errno.EFAULT;
        }
        if (a.A4 != 0 && SysSystem.WriteRusage(t, a.A4, rep.UserNs, rep.SystemNs) < 0) return -Errno.EFAULT;
        return 0;
    }

    /// <summary>What wait reports about one child: the wait4 status word and waitid's si_code/si_status.</summary>
    private struct WaitReport
    {
        public int Status, Code, SiStatus, Uid;
        /// <summary>The child's and its reaped children's CPU time (the rusage wait4/waitid report).</summary>
        public long UserNs, SystemNs;
    }

    /// <summary>
    /// do_wait: the first eligible child with something to report — an exit (WEXITED), an
    /// unreported stop (WSTOPPED) or continue (WCONTINUED) — consumed unless WNOWAIT; blocks
    /// unless WNOHANG. Returns its pid, 0 (WNOHANG, nothing yet) or -ECHILD.
    /// </summary>
    private static long WaitChild(Task t, int pid, int options, out WaitReport rep)
    {
        rep = default;
        var me = t.ThreadGroup;
        var queue = me.ChildEvents;
        bool consume = (options & WNOWAIT) == 0;
        queue.Subscribe(t);
        try
        {
            while (true)
            {
                bool any = false;
                // Tracees first: their ptrace-stops and exits (Kernel/Ptrace/PtraceWait.cs).
                if (me.Tracees.Count != 0)
                {
                    int tid = Task.PtraceWaitScan(me, pid, options, consume, out int st, out int code, out int sis, out int uid, ref any);
                    if (tid > 0)
                    {
                        rep = new WaitReport { Status = st, Code = code, SiStatus = sis, Uid = uid };
                        return tid;
                    }
                }
                ThreadGroup? found = null, reaped = null;
                lock (me)
                {
                    foreach (var c in me.Children)
                    {
                        bool match = pid switch
                        {
                            -1 => true,
                            0 => c.Pgid == me.Pgid,
                            < -1 => c.Pgid == -pid,
                            _ => c.Tgid == pid,
                        };
                        if (!match) continue;
                        // __WCLONE waits for children with another exit signal than SIGCHLD only; __WALL for both.
                        if ((options & __WALL) == 0 && ((c.ExitSignal != Libc.SIGCHLD) != ((options & __WCLONE) != 0))) continue;
                        lock (c)
                        {
                            // A zombie is something to wait for only with WEXITED (else ECHILD, not a hang).
                            if (c.Zombie && (options & WEXITED) == 0) continue;
                            any = true;
                            if (c.Zombie)
                            {
                                int st = c.ExitStatus;
                                rep = new WaitReport
                                {
                                    Status = st, Code = Task.ChildCode(st), Uid = (int)c.Creds.Uid,
                                    SiStatus = Libc.WIfExited(st) ? Libc.WExitStatus(st) : Libc.WTermSig(st),
                                    UserNs = c.ExitedUserNs + c.ChildrenUserNs, SystemNs = c.ExitedSystemNs + c.ChildrenSystemNs,
                                };
                                found = c;
                                if (consume) reaped = c;
                            }
                            else if (c.StopUnreported && (options & WSTOPPED) != 0)
                            {
                                rep = new WaitReport { Status = (c.StopSignal << 8) | 0x7f, Code = Task.CLD_STOPPED, SiStatus = c.StopSignal, Uid = (int)c.Creds.Uid };
                                found = c;
                                if (consume) c.StopUnreported = false;
                            }
                            else if (c.ContinueUnreported && (options & WCONTINUED) != 0)
                            {
                                rep = new WaitReport { Status = 0xffff, Code = Task.CLD_CONTINUED, SiStatus = Libc.SIGCONT, Uid = (int)c.Creds.Uid };
                                found = c;
                                if (consume) c.ContinueUnreported = false;
                            }
                        }
                        if (found is not null) break;
                    }
                    if (reaped is not null) me.Children.Remove(reaped);
                }
                if (found is not null)
                {
                    if (reaped is not null)
                    {
                        me.AddReapedChild(reaped);
                        t.Kernel.Pids.RemoveGroup(reaped);
                    }
                    return found.Tgid;
                }
                if (!any) return -Errno.ECHILD;
                if ((options & WNOHANG) != 0) return 0;
                int r = t.Block();
                if (r < 0) return r;
            }
        }
        finally
        {
            queue.Unsubscribe(t);
        }
    }
}
