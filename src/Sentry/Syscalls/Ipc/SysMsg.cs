using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Kernel.Ipc;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Ipc;

/// <summary>msgget, msgsnd, msgrcv, msgctl: SysV message queues (ipc/msg.c).</summary>
internal static class SysMsg
{
    public static long Msgget(Task t, in SyscallArguments a)
    {
        var reg = IpcCommon.Ns(t).Msg;
        return reg.Get(t, a.Int(0), a.Int(1), _ => 0, () => new MsgQueue(IpcCommon.Ns(t).MsgMnb), () => 0);
    }

    public static long Msgsnd(Task t, in SyscallArguments a)
    {
        int id = a.Int(0), flags = a.Int(3);
        ulong msgp = a.A1;
        long size = (long)a.A2;
        if (size > IpcCommon.Ns(t).MsgMax || size < 0 || id < 0) return -Errno.EINVAL;
        if (t.ReadStruct(msgp, out long type) < 0) return -Errno.EFAULT;
        if (type < 1) return -Errno.EINVAL;
        // Bounded by msgmax (8 KiB) per message and msgmnb per queue.
        var text = size == 0 ? [] : new byte[size];
        if (t.CopyIn(msgp + 8, text) < 0) return -Errno.EFAULT;
        var reg = IpcCommon.Ns(t).Msg;
        MsgQueue? q;
        lock (reg.Lock)
        {
            q = reg.FindId(id);
            if (q is null) return -Errno.EINVAL;
            if (!q.MayAccess(t, IpcCommon.Write)) return -Errno.EACCES;
        }
        var msg = new MsgQueue.Message(type, text);
        q.Waiters.Subscribe(t);
        try
        {
            while (true)
            {
                lock (reg.Lock)
                {
                    if (q.Removed) return -Errno.EIDRM;
                    if (q.Fits(size))
                    {
                        q.Enqueue(msg, t.ThreadGroup.Tgid);
                        q.Waiters.Notify();
                        return 0;
                    }
                    if ((flags & IpcObject.IPC_NOWAIT) != 0) return -Errno.EAGAIN;
                }
                int r = t.Block();
                if (r < 0) return IpcCommon.WaitResult(r);
            }
        }
        finally
        {
            q.Waiters.Unsubscribe(t);
        }
    }

    public static long Msgrcv(Task t, in SyscallArguments a)
    {
        int id = a.Int(0), flags = a.Int(4);
        ulong msgp = a.A1;
        long bufSize = (long)a.A2, msgtyp = (long)a.A3;
        if (id < 0 || bufSize < 0) return -Errno.EINVAL;
        bool copy = (flags & MsgQueue.MSG_COPY) != 0;
        if (copy && ((flags & MsgQueue.MSG_EXCEPT) != 0 || (flags & IpcObject.IPC_NOWAIT) == 0)) return -Errno.EINVAL;
        var reg = IpcCommon.Ns(t).Msg;
        MsgQueue? q;
        lock (reg.Lock)
        {
            q = reg.FindId(id);
            if (q is null) return -Errno.EINVAL;
            if (!q.MayAccess(t, IpcCommon.Read)) return -Errno.EACCES;
        }
        MsgQueue.Message? msg = null;
        q.Waiters.Subscribe(t);
        try
        {
            while (msg is null)
            {
                lock (reg.Lock)
                {
                    if (q.Removed) return -Errno.EIDRM;
                    int i = copy ? (msgtyp >= 0 && msgtyp < q.Messages.Count ? (int)msgtyp : -1) : q.Select(msgtyp, flags);
                    if (i >= 0)
                    {
                        var m = q.Messages[i];
                        if (m.Text.Length > bufSize && (flags & MsgQueue.MSG_NOERROR) == 0) return -Errno.E2BIG;
                        // A copy is never truncated (copy_msg refuses a smaller buffer).
                        if (copy && m.Text.Length > bufSize) return -Errno.EINVAL;
                        if (copy)
                        {
                            msg = m;
                        }
                        else
                        {
                            msg = q.Dequeue(i, t.ThreadGroup.Tgid);
                            q.Waiters.Notify();
                        }
                        break;
                    }
                    if ((flags & IpcObject.IPC_NOWAIT) != 0) return -Errno.ENOMSG;
                }
                int r = t.Block();
                if (r < 0) return IpcCommon.WaitResult(r);
            }
        }
        finally
        {
            q.Waiters.Unsubscribe(t);
        }
        int n = (int)Math.Min(msg.Text.Length, bufSize);
        if (t.WriteStruct(msgp, msg.Type) < 0 || t.CopyOut(msgp + 8, msg.Text.AsSpan(0, n)) < 0) return -Errno.EFAULT;
        return n;
    }

    public static long Msgctl(Task t, in SyscallArguments a)
    {
        int id = a.Int(0), cmd = a.Int(1);
        ulong buf = a.A2;
        var reg = IpcCommon.Ns(t).Msg;
        Span<byte> ds = stackalloc byte[MsgQueue.DsSize];
        switch (cmd)
        {
            case IpcObject.IPC_INFO:
            case MsgQueue.MSG_INFO:
            {
                Span<byte> info = stackalloc byte[32];
                info.Clear();
                int maxIndex;
                lock (reg.Lock)
                {
                    maxIndex = reg.MaxIndex;
                    // MSGPOOL, MSGMAP, MSGTQL: compile-time constants in Linux, whatever the tunables.
                    int pool = IpcNamespace.DefaultMsgMni * IpcNamespace.DefaultMsgMnb / 1024, map = IpcNamespace.DefaultMsgMnb, tql = IpcNamespace.DefaultMsgMnb;
                    if (cmd == MsgQueue.MSG_INFO)
                    {
                        pool = reg.InUse;
                        map = 0;
                        long bytes = 0;
                        foreach (var q in reg.All())
                        {
                            map += q.Messages.Count;
                            bytes += q.Bytes;
                        }
                        tql = (int)bytes;
                    }
                    BinaryPrimitives.WriteInt32LittleEndian(info, pool);
                    BinaryPrimitives.WriteInt32LittleEndian(info[4..], map);
                    BinaryPrimitives.WriteInt32LittleEndian(info[8..], IpcCommon.Ns(t).MsgMax);
                    BinaryPrimitives.WriteInt32LittleEndian(info[12..], IpcCommon.Ns(t).MsgMnb);
                    BinaryPrimitives.WriteInt32LittleEndian(info[16..], reg.Mni);
                    BinaryPrimitives.WriteInt32LittleEndian(info[20..], 16);
                    BinaryPrimitives.WriteInt32LittleEndian(info[24..], tql);
                    BinaryPrimitives.WriteUInt16LittleEndian(info[28..], 0xFFFF);
                }
                if (t.CopyOut(buf, info) < 0) return -Errno.EFAULT;
                return Math.Max(maxIndex, 0);
            }
            case IpcObject.IPC_STAT:
            case MsgQueue.MSG_STAT:
            case MsgQueue.MSG_STAT_ANY:
            {
                int result;
                lock (reg.Lock)
                {
                    var q = cmd == IpcObject.IPC_STAT ? reg.FindId(id) : reg.AtIndex(id);
                    if (q is null) return -Errno.EINVAL;
                    if (cmd != MsgQueue.MSG_STAT_ANY && !q.MayAccess(t, IpcCommon.Read)) return -Errno.EACCES;
                    q.WriteDs(ds);
                    result = cmd == IpcObject.IPC_STAT ? 0 : q.Id;
                }
                if (t.CopyOut(buf, ds) < 0) return -Errno.EFAULT;
                return result;
            }
            case IpcObject.IPC_SET:
            {
                if (t.CopyIn(buf, ds) < 0) return -Errno.EFAULT;
                lock (reg.Lock)
                {
                    var q = reg.FindId(id);
                    if (q is null) return -Errno.EINVAL;
                    if (!q.MayControl(t)) return -Errno.EPERM;
                    long qbytes = BinaryPrimitives.ReadInt64LittleEndian(ds[88..]);
                    if (qbytes > IpcCommon.Ns(t).MsgMnb && !Capabilities.Has(t, Capabilities.SYS_RESOURCE)) return -Errno.EPERM;
                    if (!IpcObject.ValidPerm(ds)) return -Errno.EINVAL;
                    q.QBytes = qbytes;
                    q.SetPerm(ds);
                    // A larger queue may take a waiting sender's message now.
                    q.Waiters.Notify();
                }
                return 0;
            }
            case IpcObject.IPC_RMID:
                lock (reg.Lock)
                {
                    var q = reg.FindId(id);
                    if (q is null) return -Errno.EINVAL;
                    if (!q.MayControl(t)) return -Errno.EPERM;
                    reg.Remove(q);
                    q.Destroy();
                }
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }
}
