using Csrunsc.Native;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>
/// /proc/PID/mem: the process's address space as a file, offset = address (debuggers read and
/// write a stopped tracee through it). Opening needs ptrace access (PTRACE_MODE_ATTACH, EACCES
/// otherwise); the address space is the one at open (an exec later leaves the file on the old
/// one, as Linux's mm reference). Access is FOLL_FORCE, as ptrace's PEEK/POKE; an unmapped address
/// reads or writes nothing: EIO.
/// </summary>
public sealed class ProcMemInode(ProcFileSystem fs, ulong ino, Func<Task?> live, uint uid, uint gid)
    : ProcInode(fs, ino, FileMode.Regular | 0x180 /* 0600 */, uid, gid)
{
    public override int Open(int flags, out FileDescription? file)
    {
        file = null;
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(this, flags);
            return 0;
        }
        var target = live();
        if (target?.Mm is not { } mm) return -Errno.ESRCH;
        var opener = Task.Current;
        if (opener is not null && opener.PtraceMayAccess(target) < 0) return -Errno.EACCES;
        file = new ProcMemFileDescription(this, flags, mm);
        return 0;
    }
}

public sealed class ProcMemFileDescription(Inode inode, int flags, MemoryManager mm) : FileDescription(inode, flags)
{
    public override long Read(Task task, Span<byte> buffer, long offset)
    {
        if (!Readable) return -Errno.EBADF;
        if (offset >= 0) return Transfer(buffer, offset);
        lock (OffsetLock)
        {
            long n = Transfer(buffer, Offset);
            if (n > 0) Offset += n;
            return n;
        }
    }

    public override long Write(Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (!Writable) return -Errno.EBADF;
        if (offset >= 0) return WriteAt(task, buffer, offset);
        lock (OffsetLock)
        {
            long n = WriteAt(task, buffer, Offset);
            if (n > 0) Offset += n;
            return n;
        }
    }

    /// <summary>Page by page, so that a transfer stops exactly where the mapped memory ends.</summary>
    private long Transfer(Span<byte> buffer, long offset)
    {
        long done = 0;
        while (done < buffer.Length)
        {
            ulong addr = (ulong)offset + (ulong)done;
            int n = (int)Math.Min(buffer.Length - done, 4096 - (long)(addr & 4095));
            var chunk = buffer.Slice((int)done, n);
            int r = mm.CopyInForce(addr, chunk);
            if (r < 0) return done > 0 ? done : -Errno.EIO;
            done += n;
        }
        return done;
    }

    private long WriteAt(Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        long done = 0;
        while (done < buffer.Length)
        {
            ulong addr = (ulong)offset + (ulong)done;
            int n = (int)Math.Min(buffer.Length - done, 4096 - (long)(addr & 4095));
            if (mm.CopyOutForce(addr, buffer.Slice((int)done, n)) < 0) return done > 0 ? done : -Errno.EIO;
            done += n;
        }
        return done;
    }
}
