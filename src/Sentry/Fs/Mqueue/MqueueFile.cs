using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Mqueue;

/// <summary>
/// An open message queue (mq_open, or open(2) in an mqueue mount): read gives the status line,
/// poll/epoll see POLLIN with messages and POLLOUT with room.
/// </summary>
public sealed class MqueueFile : FileDescription
{
    public MqueueFile(MqueueInode queue, int flags) : base(queue, flags & (Libc.O_ACCMODE | Libc.O_NONBLOCK | Libc.O_CLOEXEC))
    {
        Queue = queue;
        queue.FileOpened();
    }

    public MqueueInode Queue { get; }

    public override long Read(Task task, Span<byte> buffer, long offset)
    {
        var line = Queue.StatusLine();
        lock (OffsetLock)
        {
            long at = offset >= 0 ? offset : Offset;
            if (at >= line.Length) return 0;
            int n = (int)Math.Min(buffer.Length, line.Length - at);
            line.AsSpan((int)at, n).CopyTo(buffer);
            if (offset < 0) Offset = at + n;
            return n;
        }
    }

    public override long Write(Task task, ReadOnlySpan<byte> buffer, long offset) => -Errno.EINVAL;

    public override short Readiness(short mask) => Queue.Readiness(mask);

    public override WaitQueue? ReadinessQueue => Queue.Queue;

    /// <summary>
    /// mqueue_flush_file: a close by the registered process drops its notification. Linux does it
    /// on every close of an fd; here on the description's last close (a dup'd fd keeps it).
    /// </summary>
    protected override void OnRelease()
    {
        if (Task.Current?.ThreadGroup is { } closer) Queue.Unregister(closer);
        Queue.FileClosed();
    }
}
