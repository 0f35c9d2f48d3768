using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>select, pselect6: fd_set bitmaps over <see cref="FileDescription.Readiness"/>.</summary>
internal static class SysSelect
{
    private const short InSet = Libc.POLLIN | Libc.POLLHUP | Libc.POLLERR, OutSet = Libc.POLLOUT | Libc.POLLERR, ExSet = Libc.POLLPRI;

    /// <summary>select(nfds, readfds, writefds, exceptfds, struct timeval *timeout).</summary>
    public static long Select(Task t, in SyscallArguments a)
    {
        long deadline = long.MaxValue;
        bool noWait = false;
        if (a.A4 != 0)
        {
            int r = t.ReadStruct(a.A4, out Timespec tv); // struct timeval: two longs
            if (r < 0) return r;
            if (tv.Sec < 0 || tv.Nsec < 0) return -Errno.EINVAL;
            long sec = tv.Sec + tv.Nsec / 1_000_000;
            long nsec = tv.Nsec % 1_000_000 * 1000;
            noWait = sec == 0 && nsec == 0;
            deadline = ReadinessWait.Deadline(sec, nsec);
        }
        long result = DoSelect(t, a.Int(0), a.A1, a.A2, a.A3, deadline, noWait);
        if (a.A4 != 0 && result != -Errno.EFAULT)
        {
            long left = ReadinessWait.RemainingNs(deadline);
            var rem = new Timespec { Sec = left / 1_000_000_000, Nsec = left % 1_000_000_000 / 1000 };
            t.WriteStruct(a.A4, in rem);
        }
        return result;
    }

    /// <summary>pselect6(nfds, r, w, x, struct timespec *timeout, { const sigset_t *ss; size_t ss_len } *sig).</summary>
    public static long PSelect6(Task t, in SyscallArguments a)
    {
        int r = ReadinessWait.DeadlineFromTimespec(t, a.A4, out long deadline, out Timespec ts);
        if (r < 0) return r;
        ulong maskAddr = 0, maskSize = 0;
        if (a.A5 != 0)
        {
            r = t.ReadStruct(a.A5, out Timespec sig); // two words: pointer and size
            if (r < 0) return r;
            maskAddr = (ulong)sig.Sec;
            maskSize = (ulong)sig.Nsec;
        }
        r = ReadinessWait.SetTemporaryMask(t, maskAddr, maskSize, out ulong oldMask, out bool changed);
        if (r < 0) return r;
        long result = DoSelect(t, a.Int(0), a.A1, a.A2, a.A3, deadline, a.A4 != 0 && ts.Sec == 0 && ts.Nsec == 0);
        ReadinessWait.RestoreMask(t, oldMask, changed, result);
        if (a.A4 != 0 && result != -Errno.EFAULT)
        {
            long left = ReadinessWait.RemainingNs(deadline);
            var rem = new Timespec { Sec = left / 1_000_000_000, Nsec = left % 1_000_000_000 };
            t.WriteStruct(a.A4, in rem);
        }
        return result;
    }

    private static long DoSelect(Task t, int nfds, ulong rAddr, ulong wAddr, ulong xAddr, long deadline, bool noWait)
    {
        if (nfds < 0) return -Errno.EINVAL;
        if (nfds > t.Fds.Limit) nfds = t.Fds.Limit;
        int words = (nfds + 63) / 64;
        // in[0..words) read, [words..2w) write, [2w..3w) except; out likewise.
        Span<ulong> sets = words <= 16 ? stackalloc ulong[words * 6] : new ulong[words * 6];
        sets.Clear();
        var inR = sets[..words];
        var inW = sets.Slice(words, words);
        var inX = sets.Slice(2 * words, words);
        var outSets = sets.Slice(3 * words, 3 * words);
        int r = ReadSet(t, rAddr, inR, nfds);
        if (r < 0) return r;
        r = ReadSet(t, wAddr, inW, nfds);
        if (r < 0) return r;
        r = ReadSet(t, xAddr, inX, nfds);
        if (r < 0) return r;

        int ready = Scan(t, sets, words, nfds, null);
        if (ready < 0) return ready;
        if (ready == 0 && !noWait)
        {
            var held = new FileDescription?[nfds];
            for (int fd = 0; fd < nfds; fd++)
            {
                if (Wanted(sets, words, fd)) held[fd] = t.Fds.GetRef(fd);
            }
            ReadinessWait.Subscribe(t, held);
            try
            {
                while (true)
                {
                    ready = Scan(t, sets, words, nfds, held);
                    if (ready != 0) break;
                    r = ReadinessWait.Sleep(t, deadline);
                    if (r == -Errno.ETIMEDOUT) break;
                    if (r < 0) return r;
                }
            }
            finally
            {
                ReadinessWait.Release(t, held);
            }
            if (ready < 0) return ready;
        }
        r = WriteSet(t, rAddr, outSets[..words], nfds);
        if (r < 0) return r;
        r = WriteSet(t, wAddr, outSets.Slice(words, words), nfds);
        if (r < 0) return r;
        r = WriteSet(t, xAddr, outSets.Slice(2 * words, words), nfds);
        return r < 0 ? r : ready;
    }

    private static bool Wanted(Span<ulong> sets, int words, int fd)
    {
        int w = fd >> 6;
        ulong bit = 1UL << (fd & 63);
        return ((sets[w] | sets[words + w] | sets[2 * words + w]) & bit) != 0;
    }

    /// <summary>Computes the output sets; returns the number of bits set, or -EBADF for a closed fd in a set.</summary>
    private static int Scan(Task t, Span<ulong> sets, int words, int nfds, FileDescription?[]? held)
    {
        var outSets = sets.Slice(3 * words, 3 * words);
        outSets.Clear();
        int count = 0;
        for (int w = 0; w < words; w++)
        {
            ulong any = sets[w] | sets[words + w] | sets[2 * words + w];
            while (any != 0)
            {
                int b = System.Numerics.BitOperations.TrailingZeroCount(any);
                any &= any - 1;
                int fd = w * 64 + b;
                if (fd >= nfds) break;
                ulong bit = 1UL << b;
                var f = held is null ? t.Fds.Get(fd) : held[fd];
                if (f is null) return -Errno.EBADF;
                short want = 0;
                if ((sets[w] & bit) != 0) want |= InSet;
                if ((sets[words + w] & bit) != 0) want |= OutSet;
                if ((sets[2 * words + w] & bit) != 0) want |= ExSet;
                short got = f.Readiness(want);
                if ((sets[w] & bit) != 0 && (got & InSet) != 0)
                {
                    outSets[w] |= bit;
                    count++;
                }
                if ((sets[words + w] & bit) != 0 && (got & OutSet) != 0)
                {
                    outSets[words + w] |= bit;
                    count++;
                }
                if ((sets[2 * words + w] & bit) != 0 && (got & ExSet) != 0)
                {
                    outSets[2 * words + w] |= bit;
                    count++;
                }
            }
        }
        return count;
    }

    private static int ReadSet(Task t, ulong addr, Span<ulong> set, int nfds)
    {
        if (addr == 0 || nfds == 0) return 0;
        int bytes = (nfds + 7) / 8;
        var raw = System.Runtime.InteropServices.MemoryMarshal.AsBytes(set)[..bytes];
        int r = t.CopyIn(addr, raw);
        if (r < 0) return r;
        int tail = nfds & 63;
        if (tail != 0) set[^1] &= (1UL << tail) - 1;
        return 0;
    }

    private static int WriteSet(Task t, ulong addr, Span<ulong> set, int nfds)
    {
        if (addr == 0 || nfds == 0) return 0;
        int bytes = (nfds + 7) / 8;
        return t.CopyOut(addr, System.Runtime.InteropServices.MemoryMarshal.AsBytes(set)[..bytes]);
    }
}
