using Csrunsc.Native;

namespace Csrunsc.Sentry.Memory;

/// <summary>
/// All guest memory: one memfd, mapped whole into the Sentry (for copy-in/out without syscalls)
/// and in pieces into the stubs. Allocated in 64 KiB blocks; the file is sparse, so a block costs
/// memory only for the pages the guest touches, and freed blocks are hole-punched.
/// </summary>
public sealed unsafe class MemoryFile : IDisposable
{
    public const int BlockShift = 16;
    public const long BlockSize = 1L << BlockShift;
    public const int PageSize = 4096;

    private readonly long _capacity;
    private readonly Stack<long> _free = new();
    private long _next;

    public MemoryFile(long capacity = 64L << 30)
    {
        _capacity = capacity;
        byte* name = stackalloc byte[] { (byte)'c', (byte)'s', (byte)'r', (byte)'u', (byte)'n', (byte)'s', (byte)'c', (byte)'-', (byte)'m', (byte)'e', (byte)'m', 0 };
        Fd = Libc.MemfdCreate(name, Libc.MFD_CLOEXEC);
        if (Fd < 0) throw new InvalidOperationException($"memfd_create failed: errno {Libc.LastErrno}");
        if (Libc.FTruncate(Fd, capacity) < 0) throw new InvalidOperationException($"ftruncate of the memory file failed: errno {Libc.LastErrno}");
        void* p = Libc.Mmap(null, (nuint)capacity, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_NORESERVE, Fd, 0);
        if ((nint)p == Libc.MapFailed) throw new InvalidOperationException($"mapping the memory file failed: errno {Libc.LastErrno}");
        Base = (byte*)p;
    }

    public int Fd { get; }
    public byte* Base { get; }

    /// <summary>Size of the file (and of its mapping at <see cref="Base"/>).</summary>
    public long Capacity => _capacity;

    /// <summary>Bytes of the file handed out (not necessarily resident).</summary>
    public long Allocated { get { lock (_free) return _next - _free.Count * BlockSize; } }

    /// <summary>Allocates one zero-filled block; returns its file offset, or -1 when the file is full.</summary>
    public long AllocateBlock()
    {
        lock (_free)
        {
            if (_free.Count > 0) return _free.Pop();
            if (_next + BlockSize > _capacity) return -1;
            long off = _next;
            _next += BlockSize;
            return off;
        }
    }

    /// <summary>Allocates n consecutive zero-filled blocks (for one mapping); -1 when the file is full.</summary>
    public long AllocateRun(int n)
    {
        lock (_free)
        {
            if (_next + n * BlockSize > _capacity) return -1;
            long off = _next;
            _next += n * BlockSize;
            return off;
        }
    }

    /// <summary>Returns a block: its pages are released (and read back as zeros when reused).</summary>
    public void FreeBlock(long offset)
    {
        Libc.FAllocate(Fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, BlockSize);
        lock (_free) _free.Push(offset);
    }

    /// <summary>Zeroes and releases a page range inside a block.</summary>
    public void Zero(long offset, long length)
    {
        if (Libc.FAllocate(Fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length) < 0)
            new Span<byte>(Base + offset, (int)length).Clear();
    }

    public Span<byte> Span(long offset, int length) => new(Base + offset, length);

    /// <summary>Copies a block's resident pages into another block (fork of private memory).</summary>
    public void CopyBlock(long from, long to)
    {
        byte* vec = stackalloc byte[(int)(BlockSize / PageSize)];
        if (Mincore(Base + from, (nuint)BlockSize, vec) < 0)
        {
            Buffer.MemoryCopy(Base + from, Base + to, BlockSize, BlockSize);
            return;
        }
        // Runs of resident pages are copied by the kernel inside the memory file (copy_file_range):
        // no page of either block is faulted into the Sentry's own mapping.
        int pages = (int)(BlockSize / PageSize);
        for (int i = 0; i < pages;)
        {
            if ((vec[i] & 1) == 0)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < pages && (vec[j] & 1) != 0) j++;
            long src = from + i * PageSize, dst = to + i * PageSize, len = (j - i) * PageSize;
            while (len > 0)
            {
                long n = CopyFileRange(Fd, &src, Fd, &dst, (nuint)len, 0);
                if (n <= 0)
                {
                    Buffer.MemoryCopy(Base + src, Base + dst, len, len);
                    break;
                }
                len -= n;
            }
            i = j;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "copy_file_range")]
    private static extern long CopyFileRange(int fdIn, long* offIn, int fdOut, long* offOut, nuint len, uint flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mincore")]
    private static extern int Mincore(void* addr, nuint length, byte* vec);

    public void Dispose()
    {
        Libc.Munmap(Base, (nuint)_capacity);
        Libc.Close(Fd);
    }
}
