using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Signalfd;

/// <summary>
/// A signalfd: reading it takes the reader's pending signals in the mask (its own, then its
/// process's), each as a 128-byte signalfd_siginfo. Readable while one is pending for the task
/// that asks (poll/epoll are answered for the calling task, as Linux answers for current).
/// </summary>
public sealed class SignalFdFile : FileDescription
{
    public const int SizeOfInfo = 128;

    private readonly ThreadGroup _owner;
    private readonly ulong _ino;
    private long _mask;

    private static long s_nextIno = 0x3000_0000;

    public SignalFdFile(ThreadGroup owner, ulong mask, int flags)
        : base(null, Libc.O_RDWR | (flags & Libc.O_NONBLOCK))
    {
        _owner = owner;
        _mask = (long)mask;
        _ino = (ulong)Interlocked.Increment(ref s_nextIno);
    }

    public ulong Mask
    {
        get => (ulong)Interlocked.Read(ref _mask);
        set
        {
            Interlocked.Exchange(ref _mask, (long)value);
            _owner.SignalQueued.Notify(PollEvents.In);
        }
    }

    public override bool Seekable => false;
    public override bool SignalsBrokenPipe => false;
    public override long Size => 0;

    /// <summary>Signal generation for the owner's threads notifies here (the creator's sighand queue on Linux).</summary>
    public override WaitQueue? ReadinessQueue => _owner.SignalQueued;

    public override short Readiness(short mask)
    {
        ulong want = Mask;
        var t = Task.Current;
        ulong pending = t is not null ? t.Pending.Set | t.ThreadGroup.SharedPending.Set : _owner.SharedPending.Set;
        return (short)((pending & want) != 0 ? mask & Libc.POLLIN : 0);
    }

    public override long Read(Task task, Span<byte> buffer, long offset)
    {
        int max = buffer.Length / SizeOfInfo;
        if (max == 0) return -Errno.EINVAL;
        int n = 0;
        var queue = task.ThreadGroup.SignalQueued;
        queue.Subscribe(task, PollEvents.In);
        try
        {
            while (n < max)
            {
                ulong take = Mask;
                if (task.Pending.TryDequeue(~take, out SigInfo info) || task.ThreadGroup.SharedPending.TryDequeue(~take, out info))
                {
                    Encode(in info, buffer.Slice(n * SizeOfInfo, SizeOfInfo));
                    n++;
                    continue;
                }
                if (n > 0) break;
                if (NonBlocking) return -Errno.EAGAIN;
                int r = task.Block();
                if (r < 0) return r;
            }
            return n * SizeOfInfo;
        }
        finally
        {
            queue.Unsubscribe(task);
        }
    }

    /// <summary>
    /// struct signalfd_siginfo from a siginfo, field by field by the siginfo's layout class, as
    /// Linux's signalfd_copyinfo (SIL_KILL, SIL_TIMER, SIL_RT, SIL_CHLD, SIL_FAULT, SIL_POLL).
    /// </summary>
    public static void Encode(in SigInfo si, Span<byte> b)
    {
        b.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b[0..], (uint)si.Signo);
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], si.Errno);
        BinaryPrimitives.WriteInt32LittleEndian(b[8..], si.Code);
        const int SI_USER = 0, SI_KERNEL = 0x80, SI_TIMER = -2, SI_SIGIO = -5;
        int code = si.Code;
        if (code > SI_USER && code < SI_KERNEL)
        {
            switch (si.Signo)
            {
                case Libc.SIGCHLD:
                    BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)si.Pid);
                    BinaryPrimitives.WriteUInt32LittleEndian(b[16..], (uint)si.Uid);
                    BinaryPrimitives.WriteInt32LittleEndian(b[40..], si.Status);
                    BinaryPrimitives.WriteInt64LittleEndian(b[56..], si.ChildUtime);
                    BinaryPrimitives.WriteInt64LittleEndian(b[64..], si.ChildStime);
                    return;
                case Libc.SIGSEGV or Libc.SIGBUS or Libc.SIGILL or Libc.SIGFPE or Libc.SIGTRAP:
                    BinaryPrimitives.WriteUInt64LittleEndian(b[72..], si.Addr);
                    return;
                case 29 /*SIGPOLL*/:
                    break;
                default:
                    // Codes beyond a signal's own list are SIL_POLL up to NSIGPOLL, else SIL_KILL.
                    if (code > 6) goto Kill;
                    break;
            }
            PutPoll(in si, b);
            return;
        }
        if (code == SI_TIMER)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b[24..], (uint)si.TimerId);
            BinaryPrimitives.WriteUInt32LittleEndian(b[32..], (uint)si.Overrun);
            BinaryPrimitives.WriteInt32LittleEndian(b[44..], (int)si.Value);
            BinaryPrimitives.WriteUInt64LittleEndian(b[48..], si.Value);
            return;
        }
        if (code == SI_SIGIO)
        {
            PutPoll(in si, b);
            return;
        }
        if (code < 0)
        {
            // SIL_RT: sigqueue, tkill, mq_notify, ...
            BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)si.Pid);
            BinaryPrimitives.WriteUInt32LittleEndian(b[16..], (uint)si.Uid);
            BinaryPrimitives.WriteInt32LittleEndian(b[44..], (int)si.Value);
            BinaryPrimitives.WriteUInt64LittleEndian(b[48..], si.Value);
            return;
        }
    Kill:
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)si.Pid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], (uint)si.Uid);
    }

    /// <summary>SIL_POLL: si_band (long at 16) and si_fd (int at 24).</summary>
    private static void PutPoll(in SigInfo si, Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b[28..], (uint)si.Addr);
        BinaryPrimitives.WriteInt32LittleEndian(b[20..], si.Status);
    }

    public override int GetStat(out StatBuf stat)
    {
        var now = MonotonicClock.Now();
        stat = StatFactory.Make(0, _ino, 0x180 /*0600, an anonymous inode*/, 1, 0, 0, 0, now, now, now);
        return 0;
    }

    public override int Truncate(long length) => -Errno.EINVAL;
}
