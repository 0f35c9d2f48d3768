using System.Buffers.Binary;

namespace Csrunsc.Sentry.Kernel.Ipc;

/// <summary>
/// A SysV message queue (msg_queue): messages in arrival order, bounded by msg_qbytes in bytes and
/// in count (Linux's msg_fits). Senders and receivers block on <see cref="Waiters"/>; every change
/// notifies it and each waiter re-checks. Guarded by the namespace's message registry lock.
/// </summary>
public sealed class MsgQueue : IpcObject
{
    public const int MSG_NOERROR = 0x1000, MSG_EXCEPT = 0x2000, MSG_COPY = 0x4000;
    public const int MSG_STAT = 11, MSG_INFO = 12, MSG_STAT_ANY = 13;

    /// <summary>sizeof(struct msqid64_ds) on x86-64.</summary>
    public const int DsSize = 120;

    public sealed class Message(long type, byte[] text)
    {
        public readonly long Type = type;
        public readonly byte[] Text = text;
    }

    public readonly List<Message> Messages = new();
    public readonly WaitQueue Waiters = new();
    public long Bytes;
    public long QBytes;
    public long StimeSec, RtimeSec;
    public int Lspid, Lrpid;

    public MsgQueue(long qbytes) => QBytes = qbytes;

    /// <summary>msg_fits(): room for one more message of size bytes.</summary>
    public bool Fits(long size) => size + Bytes <= QBytes && 1 + Messages.Count <= QBytes;

    /// <summary>
    /// The index of the message msgrcv takes for msgtyp (0: the first; &gt; 0: the first of that
    /// type, or with MSG_EXCEPT the first of another; &lt; 0: the first of the lowest type
    /// &lt;= |msgtyp|); -1 if none.
    /// </summary>
    public int Select(long msgtyp, int flags)
    {
        if (msgtyp == 0) return Messages.Count > 0 ? 0 : -1;
        if (msgtyp > 0)
        {
            bool except = (flags & MSG_EXCEPT) != 0;
            for (int i = 0; i < Messages.Count; i++)
                if ((Messages[i].Type == msgtyp) != except) return i;
            return -1;
        }
        long limit = msgtyp == long.MinValue ? long.MaxValue : -msgtyp;
        int best = -1;
        for (int i = 0; i < Messages.Count; i++)
        {
            long ty = Messages[i].Type;
            if (ty <= limit && (best < 0 || ty < Messages[best].Type)) best = i;
        }
        return best;
    }

    public void Enqueue(Message m, int pid)
    {
        Messages.Add(m);
        Bytes += m.Text.Length;
        Lspid = pid;
        StimeSec = NowSec();
    }

    public Message Dequeue(int index, int pid)
    {
        var m = Messages[index];
        Messages.RemoveAt(index);
        Bytes -= m.Text.Length;
        Lrpid = pid;
        RtimeSec = NowSec();
        return m;
    }

    /// <summary>Writes struct msqid64_ds.</summary>
    public void WriteDs(Span<byte> b)
    {
        b[..DsSize].Clear();
        WritePerm(b);
        BinaryPrimitives.WriteInt64LittleEndian(b[48..], StimeSec);
        BinaryPrimitives.WriteInt64LittleEndian(b[56..], RtimeSec);
        BinaryPrimitives.WriteInt64LittleEndian(b[64..], CtimeSec);
        BinaryPrimitives.WriteInt64LittleEndian(b[72..], Bytes);
        BinaryPrimitives.WriteInt64LittleEndian(b[80..], Messages.Count);
        BinaryPrimitives.WriteInt64LittleEndian(b[88..], QBytes);
        BinaryPrimitives.WriteInt32LittleEndian(b[96..], Lspid);
        BinaryPrimitives.WriteInt32LittleEndian(b[100..], Lrpid);
    }

    /// <summary>IPC_RMID: gone from the registry; every blocked sender and receiver answers EIDRM.</summary>
    public void Destroy()
    {
        Messages.Clear();
        Bytes = 0;
        Waiters.Notify();
    }
}
