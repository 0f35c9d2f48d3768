using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// An epoll instance: the interest list (descriptor → events, data) and the level-triggered scan
/// epoll_wait runs over it. Registrations name the open file description without holding a
/// reference (as in Linux, where closing the last descriptor drops the registration); a
/// registration whose descriptor now names another file is skipped.
/// </summary>
internal sealed class EpollFile : FileDescription
{
    public const uint EPOLLIN = 0x1, EPOLLPRI = 0x2, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10,
        EPOLLRDHUP = 0x2000, EPOLLEXCLUSIVE = 1u << 28, EPOLLWAKEUP = 1u << 29, EPOLLONESHOT = 1u << 30, EPOLLET = 1u << 31;

    public sealed class Interest(int fd, FileDescription file, uint events, ulong data)
    {
        public readonly int Fd = fd;
        public readonly FileDescription File = file;
        public uint Events = events;
        public ulong Data = data;
    }

    private readonly List<Interest> _interests = new();

    public EpollFile(int flags)
        : base(null, Libc.O_RDWR | (flags & Libc.O_CLOEXEC))
    {
    }

    public override bool Seekable => false;

    public override long Size => 0;

    public int Add(int fd, FileDescription file, uint events, ulong data)
    {
        lock (_interests)
        {
            if (Find(fd, file) >= 0) return -Errno.EEXIST;
            _interests.Add(new Interest(fd, file, events, data));
            return 0;
        }
    }

    public int Modify(int fd, FileDescription file, uint events, ulong data)
    {
        lock (_interests)
        {
            int i = Find(fd, file);
            if (i < 0) return -Errno.ENOENT;
            _interests[i].Events = events;
            _interests[i].Data = data;
            return 0;
        }
    }

    public int Remove(int fd, FileDescription file)
    {
        lock (_interests)
        {
            int i = Find(fd, file);
            if (i < 0) return -Errno.ENOENT;
            _interests.RemoveAt(i);
            return 0;
        }
    }

    private int Find(int fd, FileDescription file)
    {
        for (int i = 0; i < _interests.Count; i++)
        {
            if (_interests[i].Fd == fd && ReferenceEquals(_interests[i].File, file)) return i;
        }
        return -1;
    }

    /// <summary>The registered files still open under their descriptor in t (for subscribing to their queues).</summary>
    public List<FileDescription> LiveFiles(Task t)
    {
        var files = new List<FileDescription>();
        lock (_interests)
        {
            foreach (var interest in _interests)
            {
                if (ReferenceEquals(t.Fds.Get(interest.Fd), interest.File)) files.Add(interest.File);
            }
        }
        return files;
    }

    /// <summary>
    /// Writes up to max ready events (struct epoll_event: u32 events, u64 data, packed) into
    /// output; returns how many. One-shot registrations are disarmed once reported.
    /// </summary>
    public int Scan(Task t, Span<byte> output, int max)
    {
        int n = 0;
        lock (_interests)
        {
            foreach (var interest in _interests)
            {
                if (n == max) break;
                uint wanted = interest.Events & (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP);
                if (wanted == 0 && (interest.Events & EPOLLONESHOT) != 0) continue;
                if (!ReferenceEquals(t.Fds.Get(interest.Fd), interest.File)) continue;
                uint ready = (ushort)SysPoll.Revents(interest.File, (short)(wanted & 0xFFFF));
                ready |= (ushort)interest.File.Readiness((short)(EPOLLERR | EPOLLHUP));
                ready &= wanted | EPOLLERR | EPOLLHUP;
                if (ready == 0) continue;
                var e = output.Slice(n * 12, 12);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(e, ready);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(e[4..], interest.Data);
                n++;
                if ((interest.Events & EPOLLONESHOT) != 0) interest.Events &= ~(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP);
            }
        }
        return n;
    }

    public override short Readiness(short mask)
    {
        lock (_interests)
        {
            foreach (var interest in _interests)
            {
                short wanted = (short)(interest.Events & (EPOLLIN | EPOLLPRI | EPOLLOUT));
                if (wanted != 0 && interest.File.Readiness((short)(wanted | Libc.POLLERR | Libc.POLLHUP)) != 0)
                    return (short)(mask & Libc.POLLIN);
            }
        }
        return 0;
    }
}
