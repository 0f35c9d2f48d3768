using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>poll, ppoll. Readiness comes from <see cref="FileDescription.Readiness"/>; sleeping from <see cref="ReadinessWait"/>.</summary>
internal static class SysPoll
{
    private const short POLLRDNORM = 0x40, POLLWRNORM = 0x100;
    private const int StackEntries = 128;

    public static long Poll(Task t, in SyscallArguments a)
    {
        int timeoutMs = a.Int(2);
        long deadline = timeoutMs < 0 ? long.MaxValue : ReadinessWait.Deadline(timeoutMs / 1000, (timeoutMs % 1000) * 1_000_000L);
        return PollRestartable(t, a.A0, a.A1, deadline, timeoutMs == 0);
    }

    /// <summary>
    /// poll interrupted by a signal answers ERESTART_RESTARTBLOCK: EINTR when a handler runs, else
    /// restart_syscall polls again to the same deadline (Linux's do_restart_poll).
    /// </summary>
    private static long PollRestartable(Task t, ulong addr, ulong nfds, long deadline, bool noWait)
    {
        long r = DoPoll(t, addr, nfds, deadline, noWait);
        if (r != -Errno.ERESTARTNOHAND) return r;
        t.Restart = new RestartBlock { Kind = RestartKind.Poll, Addr = addr, Count = nfds, Deadline = deadline };
        return -Errno.ERESTART_RESTARTBLOCK;
    }

    /// <summary>restart_syscall's continuation of an interrupted poll.</summary>
    internal static long ResumePoll(Task t, in RestartBlock rb) =>
        PollRestartable(t, rb.Addr, rb.Count, rb.Deadline, noWait: false);

    public static long PPoll(Task t, in SyscallArguments a)
    {
        int r = ReadinessWait.DeadlineFromTimespec(t, a.A2, out long deadline, out Timespec ts);
        if (r < 0) return r;
        r = ReadinessWait.SetTemporaryMask(t, a.A3, a.A4, out ulong oldMask, out bool changed);
        if (r < 0) return r;
        long result = DoPoll(t, a.A0, a.A1, deadline, a.A2 != 0 && ts.Sec == 0 && ts.Nsec == 0);
        ReadinessWait.RestoreMask(t, oldMask, changed, result);
        if (a.A2 != 0 && result != -Errno.EFAULT)
        {
            long left = ReadinessWait.RemainingNs(deadline);
            var rem = new Timespec { Sec = left / 1_000_000_000, Nsec = left % 1_000_000_000 };
            t.WriteStruct(a.A2, in rem);
        }
        return result;
    }

    private static long DoPoll(Task t, ulong addr, ulong nfds, long deadline, bool noWait)
    {
        if (nfds > (ulong)t.Fds.Limit) return -Errno.EINVAL;
        int n = (int)nfds;
        Span<byte> buf = n <= StackEntries ? stackalloc byte[n * 8] : new byte[n * 8];
        int r = t.CopyIn(addr, buf);
        if (r < 0) return r;

        int ready = Scan(t, buf, null);
        if (ready == 0 && !noWait)
        {
            var held = new FileDescription?[n];
            for (int i = 0; i < n; i++)
            {
                int fd = BinaryPrimitives.ReadInt32LittleEndian(buf[(i * 8)..]);
                if (fd >= 0) held[i] = t.Fds.GetRef(fd);
            }
            ReadinessWait.Subscribe(t, held);
            try
            {
                while (true)
                {
                    ready = Scan(t, buf, held);
                    if (ready > 0) break;
                    r = ReadinessWait.Sleep(t, deadline);
                    if (r == -Errno.ETIMEDOUT) break;
                    if (r < 0) return r;
                }
            }
            finally
            {
                ReadinessWait.Release(t, held);
            }
        }
        r = t.CopyOut(addr, buf);
        return r < 0 ? r : ready;
    }

    /// <summary>Fills revents of every pollfd; returns how many have any. held (if given) replaces fd lookups.</summary>
    private static int Scan(Task t, Span<byte> buf, FileDescription?[]? held)
    {
        int ready = 0;
        int n = buf.Length / 8;
        for (int i = 0; i < n; i++)
        {
            var e = buf.Slice(i * 8, 8);
            int fd = BinaryPrimitives.ReadInt32LittleEndian(e);
            short events = BinaryPrimitives.ReadInt16LittleEndian(e[4..]);
            short rev = 0;
            if (fd >= 0)
            {
                var f = held is null ? t.Fds.Get(fd) : held[i];
                rev = f is null ? Libc.POLLNVAL : Revents(f, events);
            }
            BinaryPrimitives.WriteInt16LittleEndian(e[6..], rev);
            if (rev != 0) ready++;
        }
        return ready;
    }

    /// <summary>Ready events of f for a poll request (POLLERR/POLLHUP always count; RDNORM/WRNORM follow IN/OUT).</summary>
    internal static short Revents(FileDescription f, short events)
    {
        int query = events | Libc.POLLERR | Libc.POLLHUP;
        if ((events & POLLRDNORM) != 0) query |= Libc.POLLIN;
        if ((events & POLLWRNORM) != 0) query |= Libc.POLLOUT;
        int res = f.Readiness((short)query);
        if ((res & Libc.POLLIN) != 0) res |= POLLRDNORM;
        if ((res & Libc.POLLOUT) != 0) res |= POLLWRNORM;
        return (short)(res & (events | Libc.POLLERR | Libc.POLLHUP));
    }
}
