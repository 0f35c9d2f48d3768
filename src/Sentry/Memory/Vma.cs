using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Memory;

/// <summary>A virtual memory area: a page-aligned guest range with one protection and one backing.</summary>
public sealed class Vma
{
    public ulong Start;
    public ulong End;
    public int Prot;
    /// <summary>VM_MAYWRITE: false for a shared mapping of something opened read-only (mprotect cannot add PROT_WRITE).</summary>
    public bool MayWrite = true;
    /// <summary>MAP_SHARED: the pages are shared with other address spaces after fork.</summary>
    public bool Shared;
    /// <summary>File whose contents fill the pages when first touched (private file mappings); null for anonymous memory.</summary>
    public FileDescription? File;
    public long FileOffset;
    /// <summary>MAP_SHARED: the pages (of the file, or of the anonymous mapping) every sharer sees; indexed by file page.</summary>
    public SharedPages? Pages;
    /// <summary>The object told of this VMA's copies and removal (a SysV shm attachment), or null.</summary>
    public IVmaOps? Ops;
    /// <summary>Name in /proc/self/maps: a path, [heap], [stack], or empty.</summary>
    public string Name = "";
    /// <summary>mbind's policy (mode | flags; 0: none, the task's applies) and nodemask.</summary>
    public int NumaPolicy;
    public ulong NumaNodes;
    /// <summary>The file's size when last asked (-1: never): pages below it need no new question (see MemoryManager.FileBackedEnd).</summary>
    public long KnownFileSize = -1;
    /// <summary>MADV_DONTFORK (VM_DONTCOPY): the child of a fork does not get this range.</summary>
    public bool DontFork;
    /// <summary>MADV_WIPEONFORK: the child of a fork gets this range as fresh zero pages.</summary>
    public bool WipeOnFork;
    /// <summary>VM_GROWSDOWN: the [stack] mapping, extended down on faults below it (up to RLIMIT_STACK).</summary>
    public bool GrowsDown;
    /// <summary>VM_LOCKED (mlock, mlockall, MAP_LOCKED): counted in RLIMIT_MEMLOCK and VmLck; the memory file is never swapped, so nothing more to pin.</summary>
    public bool Locked;

    public ulong Length => End - Start;

    public bool Readable => (Prot & Libc.PROT_READ) != 0;
    public bool Writable => (Prot & Libc.PROT_WRITE) != 0;

    /// <summary>A copy of this VMA restricted to [start, end) (the file offset follows).</summary>
    public Vma Slice(ulong start, ulong end)
    {
        File?.IncRef();
        Pages?.AddRef();
        Ops?.Open();
        return new Vma
        {
            Start = start, End = end, Prot = Prot, MayWrite = MayWrite, Shared = Shared, File = File, Pages = Pages,
            FileOffset = FileOffset + (long)(start - Start), Name = Name, Ops = Ops,
            NumaPolicy = NumaPolicy, NumaNodes = NumaNodes, DontFork = DontFork, WipeOnFork = WipeOnFork,
            GrowsDown = GrowsDown, Locked = Locked,
        };
    }

    public void Release()
    {
        Pages?.Release();
        File?.DecRef();
        Ops?.Close();
    }

    /// <summary>The file page index (file offset / page size) of guest address addr in this VMA.</summary>
    public long PageIndex(ulong addr) => (FileOffset + (long)(addr - Start)) / MemoryFile.PageSize;
}
