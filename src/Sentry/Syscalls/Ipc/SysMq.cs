using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Mqueue;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Syscalls.File;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Ipc;

/// <summary>mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr (ipc/mqueue.c).</summary>
internal static class SysMq
{
    /// <summary>sizeof(struct mq_attr): flags, maxmsg, msgsize, curmsgs and four reserved longs.</summary>
    private const int AttrSize = 64;

    /// <summary>lookup_one_len's refusals: empty, ".", ".." or a '/' inside (EACCES); longer than NAME_MAX (ENAMETOOLONG).</summary>
    private static int CheckName(string name)
    {
        if (name.Length == 0 || name == "." || name == ".." || name.Contains('/')) return -Errno.EACCES;
        if (System.Text.Encoding.UTF8.GetByteCount(name) > MqueueDirectory.NameMax) return -Errno.ENAMETOOLONG;
        return 0;
    }

    public static long MqOpen(Task t, in SyscallArguments a)
    {
        int oflag = a.Int(1);
        uint mode = (uint)a.A2;
        Span<byte> attr = stackalloc byte[AttrSize];
        bool hasAttr = a.A3 != 0;
        if (hasAttr && t.CopyIn(a.A3, attr) < 0) return -Errno.EFAULT;
        int r = t.CopyInString(a.A0, 4096, out string name);
        if (r < 0) return r;
        r = CheckName(name);
        if (r < 0) return r;
        if ((oflag & Libc.O_ACCMODE) == Libc.O_ACCMODE) return -Errno.EINVAL;
        var dir = t.IpcNs.Mqueue.Directory;
        MqueueInode? queue;
        lock (dir.Lock)
        {
            if (dir.Lookup(name, out Inode? existing) == 0)
            {
                queue = (MqueueInode)existing!;
                if ((oflag & (Libc.O_CREAT | Libc.O_EXCL)) == (Libc.O_CREAT | Libc.O_EXCL)) return -Errno.EEXIST;
                int acc = (oflag & Libc.O_ACCMODE) switch
                {
                    Libc.O_RDONLY => FilePermissions.MayRead,
                    Libc.O_WRONLY => FilePermissions.MayWrite,
                    _ => FilePermissions.MayRead | FilePermissions.MayWrite,
                };
                r = FilePermissions.Check(t, queue, acc);
                if (r < 0) return r;
            }
            else
            {
                if ((oflag & Libc.O_CREAT) == 0) return -Errno.ENOENT;
                r = FilePermissions.Check(t, dir, FilePermissions.MayWrite | FilePermissions.MayExec);
                if (r < 0) return r;
                var mq = t.IpcNs.Mqueue;
                long maxMsg = mq.MsgDefault, msgSize = mq.MsgSizeDefault;
                bool resource = Capabilities.Has(t, Capabilities.SYS_RESOURCE);
                if (hasAttr)
                {
                    maxMsg = BinaryPrimitives.ReadInt64LittleEndian(attr[8..]);
                    msgSize = BinaryPrimitives.ReadInt64LittleEndian(attr[16..]);
                    if (maxMsg <= 0 || msgSize <= 0) return -Errno.EINVAL;
                    if (resource ? maxMsg > MqueueFileSystem.HardMsgMax || msgSize > MqueueFileSystem.HardMsgSizeMax
                        : maxMsg > mq.MsgMax || msgSize > mq.MsgSizeMax)
                        return -Errno.EINVAL;
                }
                var creds = t.ThreadGroup.Creds;
                r = dir.CreateQueue(t, name, mode & 0xFFF & ~t.Fs.Umask, creds.Fsuid, creds.Fsgid, maxMsg, msgSize, resource, out queue);
                if (r < 0) return r;
            }
        }
        var file = new MqueueFile(queue!, oflag);
        return t.Fds.Add(file, (oflag & Libc.O_CLOEXEC) != 0);
    }

    public static long MqUnlink(Task t, in SyscallArguments a)
    {
        int r = t.CopyInString(a.A0, 4096, out string name);
        if (r < 0) return r;
        r = CheckName(name);
        if (r < 0) return r;
        var dir = t.IpcNs.Mqueue.Directory;
        lock (dir.Lock)
        {
            if (dir.Lookup(name, out Inode? queue) < 0) return -Errno.ENOENT;
            r = FilePermissions.Check(t, dir, FilePermissions.MayWrite | FilePermissions.MayExec);
            if (r < 0) return r;
            // The directory is sticky (1777): only the queue's owner (or CAP_FOWNER) may remove it.
            queue!.GetStat(out StatBuf st);
            uint fsuid = t.ThreadGroup.Creds.Fsuid;
            if (fsuid != st.Uid && fsuid != 0 && !Capabilities.Has(t, Capabilities.FOWNER)) return -Errno.EPERM;
            return dir.Unlink(name, false);
        }
    }

    /// <summary>An absolute CLOCK_REALTIME timeout as a monotonic deadline (long.MaxValue without one).</summary>
    private static int Deadline(Task t, ulong addr, out long deadline)
    {
        deadline = long.MaxValue;
        if (addr == 0) return 0;
        if (t.ReadStruct(addr, out Timespec ts) < 0) return -Errno.EFAULT;
        if (ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1_000_000_000) return -Errno.EINVAL;
        long now = MonotonicClock.NowNs(), real = MonotonicClock.RealtimeNs();
        if (ts.Sec >= long.MaxValue / 1_000_000_000 - 1) return 0;
        long left = ts.Sec * 1_000_000_000 + ts.Nsec - real;
        deadline = left <= 0 ? now : (left > long.MaxValue - now ? long.MaxValue : now + left);
        return 0;
    }

    private static MqueueFile? QueueFile(Task t, int fd) => t.Fds.Get(fd) as MqueueFile;

    public static long MqTimedsend(Task t, in SyscallArguments a)
    {
        ulong len = a.A2;
        uint prio = (uint)a.A3;
        if (prio >= MqueueFileSystem.PrioMax) return -Errno.EINVAL;
        int r = Deadline(t, a.A4, out long deadline);
        if (r < 0) return r;
        var f = QueueFile(t, a.Int(0));
        if (f is null || !f.Writable) return -Errno.EBADF;
        if (len > (ulong)f.Queue.MsgSize) return -Errno.EMSGSIZE;
        // At most mq_msgsize bytes, and at most mq_maxmsg of them are kept.
        var data = len == 0 ? [] : new byte[len];
        if (t.CopyIn(a.A1, data) < 0) return -Errno.EFAULT;
        return f.Queue.Send(t, data, prio, f.NonBlocking, deadline);
    }

    public static long MqTimedreceive(Task t, in SyscallArguments a)
    {
        ulong len = a.A2;
        int r = Deadline(t, a.A4, out long deadline);
        if (r < 0) return r;
        var f = QueueFile(t, a.Int(0));
        if (f is null || !f.Readable) return -Errno.EBADF;
        if (len < (ulong)f.Queue.MsgSize) return -Errno.EMSGSIZE;
        r = f.Queue.Receive(t, f.NonBlocking, deadline, out byte[]? data, out uint prio);
        if (r < 0) return r;
        if (t.CopyOut(a.A1, data) < 0) return -Errno.EFAULT;
        if (a.A3 != 0 && t.WriteStruct(a.A3, prio) < 0) return -Errno.EFAULT;
        return data!.Length;
    }

    public static long MqNotify(Task t, in SyscallArguments a)
    {
        int kind = 0, signo = 0;
        ulong value = 0;
        if (a.A1 != 0)
        {
            Span<byte> ev = stackalloc byte[64];
            if (t.CopyIn(a.A1, ev) < 0) return -Errno.EFAULT;
            value = BinaryPrimitives.ReadUInt64LittleEndian(ev);
            signo = BinaryPrimitives.ReadInt32LittleEndian(ev[8..]);
            kind = BinaryPrimitives.ReadInt32LittleEndian(ev[12..]);
            if (kind != MqueueInode.SIGEV_NONE && kind != MqueueInode.SIGEV_SIGNAL && kind != MqueueInode.SIGEV_THREAD) return -Errno.EINVAL;
            if (kind == MqueueInode.SIGEV_SIGNAL && (uint)signo > 64) return -Errno.EINVAL;
            // SIGEV_THREAD is glibc's netlink-socket protocol (NETLINK_ROUTE cookies), not provided.
            if (kind == MqueueInode.SIGEV_THREAD) return -Errno.EINVAL;
        }
        var f = QueueFile(t, a.Int(0));
        if (f is null) return -Errno.EBADF;
        if (a.A1 == 0)
        {
            f.Queue.Unregister(t.ThreadGroup);
            return 0;
        }
        return f.Queue.Register(t.ThreadGroup, kind, signo, value);
    }

    public static long MqGetsetattr(Task t, in SyscallArguments a)
    {
        Span<byte> attr = stackalloc byte[AttrSize];
        long newFlags = 0;
        if (a.A1 != 0)
        {
            if (t.CopyIn(a.A1, attr) < 0) return -Errno.EFAULT;
            newFlags = BinaryPrimitives.ReadInt64LittleEndian(attr);
            if ((newFlags & ~(long)Libc.O_NONBLOCK) != 0) return -Errno.EINVAL;
        }
        var f = QueueFile(t, a.Int(0));
        if (f is null) return -Errno.EBADF;
        attr.Clear();
        BinaryPrimitives.WriteInt64LittleEndian(attr, f.Flags & Libc.O_NONBLOCK);
        BinaryPrimitives.WriteInt64LittleEndian(attr[8..], f.Queue.MaxMsg);
        BinaryPrimitives.WriteInt64LittleEndian(attr[16..], f.Queue.MsgSize);
        BinaryPrimitives.WriteInt64LittleEndian(attr[24..], f.Queue.CurMsgs);
        if (a.A1 != 0)
        {
            lock (f.OffsetLock) f.Flags = (f.Flags & ~Libc.O_NONBLOCK) | (int)(newFlags & Libc.O_NONBLOCK);
        }
        if (a.A2 != 0 && t.CopyOut(a.A2, attr) < 0) return -Errno.EFAULT;
        return 0;
    }
}
