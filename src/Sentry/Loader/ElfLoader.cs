using System.Buffers.Binary;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Loader;

/// <summary>Where a loaded image starts: entry point and initial stack pointer.</summary>
public readonly record struct LoadedImage(ulong Entry, ulong StackPointer);

/// <summary>
/// Loads an x86-64 ELF executable (static, static-pie, or dynamic through its PT_INTERP) into a
/// fresh address space and builds the initial stack (argv, envp, auxv). No vDSO is offered: the
/// guest's libc then makes real syscalls for time, which the Sentry serves.
/// </summary>
public static class ElfLoader
{
    private const uint PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551;
    private const ulong MainDynBase = 0x5555_5555_4000;
    /// <summary>
    /// The stack mapped at exec: RLIMIT_STACK's soft limit, at most 8 MiB and at least 128 KiB
    /// (setup_arg_pages' stack_expand). Beyond it the [stack] VMA grows down on faults up to the
    /// limit in force then (MemoryManager.TryGrowStack).
    /// </summary>
    private const ulong MaxInitialStack = 8UL << 20, MinInitialStack = 128UL << 10;

    private const ulong AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
        AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15,
        AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31;

    private struct Image
    {
        public ulong Bias;
        public ulong Entry;
        public ulong PhdrAddr;
        public int PhNum;
        public ulong End;
        public string? Interp;
    }

    /// <summary>True if the header looks like an ELF file (for ENOEXEC vs. script decisions).</summary>
    public static bool IsElf(ReadOnlySpan<byte> header) =>
        header.Length >= 4 && header[0] == 0x7f && header[1] == (byte)'E' && header[2] == (byte)'L' && header[3] == (byte)'F';

    /// <summary>
    /// Loads file into mm. openInterp resolves and opens the PT_INTERP path in the guest's view.
    /// Returns 0 and the image, or -errno (ENOEXEC for a bad or foreign ELF).
    /// </summary>
    public static int Load(Task task, MemoryManager mm, FileDescription file, string execPath, string[] argv, string[] envp,
        in AuxIds ids, Func<string, (int Err, FileDescription? File)> openInterp, out LoadedImage loaded)
    {
        loaded = default;
        int r = LoadImage(task, mm, file, isInterp: false, out Image main);
        if (r < 0) return r;
        ulong entry = main.Entry, interpBase = 0;
        if (main.Interp is not null)
        {
            var (err, interp) = openInterp(main.Interp);
            if (interp is null) return err;
            try
            {
                r = LoadImage(task, mm, interp, isInterp: true, out Image ld);
                if (r < 0) return r;
                entry = ld.Entry;
                interpBase = ld.Bias;
            }
            finally
            {
                interp.DecRef();
            }
        }
        mm.BrkStart = mm.BrkEnd = MemoryManager.PageUp(main.End);
        // /proc/PID/exe is the file's own path (d_path), not the name it was run by: exec of
        // /proc/self/exe or of a symlink must not leave a link to itself. AT_EXECFN keeps the name.
        mm.ExecutablePath = file.Location?.AbsolutePath ?? execPath;

        // Stack.
        ulong stackTop = mm.StackTop;
        ulong stackSize = MemoryManager.PageUp(Math.Clamp(Kernel.Rlimits.Cur(task.ThreadGroup, Kernel.Rlimits.STACK), MinInitialStack, MaxInitialStack));
        long s = mm.Map(null, stackTop - stackSize, stackSize, Libc.PROT_READ | Libc.PROT_WRITE, true, false, false, null, 0, "[stack]");
        if (s < 0) return (int)s;
        mm.MarkGrowsDown((ulong)s);
        ulong sp = stackTop;

        ulong PushBytes(ReadOnlySpan<byte> data)
        {
            sp -= (ulong)data.Length;
            mm.CopyOut(sp, data);
            return sp;
        }
        ulong PushString(string str)
        {
            var b = Encoding.UTF8.GetBytes(str + "\0");
            return PushBytes(b);
        }

        ulong execfn = PushString(execPath);
        var envAddrs = new ulong[envp.Length];
        for (int i = envp.Length - 1; i >= 0; i--) envAddrs[i] = PushString(envp[i]);
        mm.EnvStart = envp.Length > 0 ? envAddrs[0] : sp;
        mm.EnvEnd = envp.Length > 0 ? execfn : sp;
        var argAddrs = new ulong[argv.Length];
        for (int i = argv.Length - 1; i >= 0; i--) argAddrs[i] = PushString(argv[i]);
        mm.ArgvStart = argv.Length > 0 ? argAddrs[0] : sp;
        mm.ArgvEnd = argv.Length > 0 ? (envp.Length > 0 ? envAddrs[0] : execfn) : sp;
        ulong platform = PushString("x86_64");
        Span<byte> rnd = stackalloc byte[16];
        Random.Shared.NextBytes(rnd);
        sp &= ~15UL;
        ulong random = PushBytes(rnd);

        var auxv = new List<ulong>
        {
            AT_PHDR, main.PhdrAddr, AT_PHENT, 56, AT_PHNUM, (ulong)main.PhNum, AT_PAGESZ, 4096,
            AT_BASE, interpBase, AT_FLAGS, 0, AT_ENTRY, main.Entry, AT_UID, ids.Uid, AT_EUID, ids.Euid,
            AT_GID, ids.Gid, AT_EGID, ids.Egid, AT_SECURE, ids.Secure ? 1UL : 0, AT_RANDOM, random, AT_HWCAP, CpuFeatures.Hwcap,
            AT_HWCAP2, 0, AT_CLKTCK, 100, AT_EXECFN, execfn, AT_PLATFORM, platform, AT_NULL, 0,
        };
        // Layout from sp up: argc, argv..., 0, envp..., 0, auxv pairs; sp 16-byte aligned.
        int words = 1 + argv.Length + 1 + envp.Length + 1 + auxv.Count;
        sp -= (ulong)words * 8;
        sp &= ~15UL;
        var block = new byte[words * 8];
        int w = 0;
        void Put(ulong v)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(w * 8), v);
            w++;
        }
        Put((ulong)argv.Length);
        foreach (var a in argAddrs) Put(a);
        Put(0);
        foreach (var e in envAddrs) Put(e);
        Put(0);
        var auxBytes = new byte[auxv.Count * 8];
        for (int i = 0; i < auxv.Count; i++)
        {
            Put(auxv[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(auxBytes.AsSpan(i * 8), auxv[i]);
        }
        if (mm.CopyOut(sp, block) < 0) return -Errno.EFAULT;
        mm.Auxv = auxBytes;
        loaded = new LoadedImage(entry, sp);
        return 0;
    }

    private static int ReadAt(Task task, FileDescription file, Span<byte> buf, long offset)
    {
        int done = 0;
        while (done < buf.Length)
        {
            long n = file.Read(task, buf[done..], offset + done);
            if (n < 0) return (int)n;
            if (n == 0) break;
            done += (int)n;
        }
        return done;
    }

    private static int LoadImage(Task task, MemoryManager mm, FileDescription file, bool isInterp, out Image image)
    {
        image = default;
        Span<byte> eh = stackalloc byte[64];
        int n = ReadAt(task, file, eh, 0);
        if (n < 0) return n;
        if (n < 64 || !IsElf(eh) || eh[4] != 2 || eh[5] != 1) return -Errno.ENOEXEC;
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(eh[16..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(eh[18..]);
        if (machine != 62 || (type != 2 && type != 3)) return -Errno.ENOEXEC;
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(eh[24..]);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(eh[32..]);
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(eh[54..]);
        ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(eh[56..]);
        if (phentsize != 56 || phnum == 0 || phnum > 128) return -Errno.ENOEXEC;
        var ph = new byte[phnum * 56];
        if (ReadAt(task, file, ph, (long)phoff) != ph.Length) return -Errno.ENOEXEC;

        ulong minVaddr = ulong.MaxValue, maxVaddr = 0, phdrVaddr = 0;
        string? interp = null;
        for (int i = 0; i < phnum; i++)
        {
            var p = ph.AsSpan(i * 56, 56);
            uint ptype = BinaryPrimitives.ReadUInt32LittleEndian(p);
            ulong off = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]);
            ulong vaddr = BinaryPrimitives.ReadUInt64LittleEndian(p[16..]);
            ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(p[32..]);
            ulong memsz = BinaryPrimitives.ReadUInt64LittleEndian(p[40..]);
            if (ptype == PT_LOAD)
            {
                minVaddr = Math.Min(minVaddr, MemoryManager.PageDown(vaddr));
                maxVaddr = Math.Max(maxVaddr, vaddr + memsz);
                if (phoff >= off && phoff < off + filesz) phdrVaddr = vaddr + (phoff - off);
            }
            else if (ptype == PT_PHDR) phdrVaddr = vaddr;
            else if (ptype == PT_INTERP && !isInterp)
            {
                if (filesz == 0 || filesz > 4096) return -Errno.ENOEXEC;
                var ib = new byte[filesz];
                if (ReadAt(task, file, ib, (long)off) != ib.Length) return -Errno.ENOEXEC;
                interp = Encoding.UTF8.GetString(ib).TrimEnd('\0');
            }
        }
        if (minVaddr == ulong.MaxValue) return -Errno.ENOEXEC;

        ulong bias = 0;
        if (type == 3)
        {
            ulong span = MemoryManager.PageUp(maxVaddr) - minVaddr;
            if (isInterp)
            {
                // Let the address space choose a free range for the whole image.
                long at = mm.Map(null, 0, span, Libc.PROT_NONE, false, false, false, null, 0, "");
                if (at < 0) return (int)at;
                mm.Unmap(null, (ulong)at, span);
                bias = (ulong)at - minVaddr;
            }
            else bias = MainDynBase - minVaddr;
        }

        string name = file.Location?.AbsolutePath ?? "";
        for (int i = 0; i < phnum; i++)
        {
            var p = ph.AsSpan(i * 56, 56);
            if (BinaryPrimitives.ReadUInt32LittleEndian(p) != PT_LOAD) continue;
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
            ulong off = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]);
            ulong vaddr = BinaryPrimitives.ReadUInt64LittleEndian(p[16..]) + bias;
            ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(p[32..]);
            ulong memsz = BinaryPrimitives.ReadUInt64LittleEndian(p[40..]);
            int prot = ((flags & 4) != 0 ? Libc.PROT_READ : 0) | ((flags & 2) != 0 ? Libc.PROT_WRITE : 0) | ((flags & 1) != 0 ? Libc.PROT_EXEC : 0);
            ulong pageStart = MemoryManager.PageDown(vaddr);
            ulong fileEnd = vaddr + filesz;
            ulong memEnd = vaddr + memsz;
            if (filesz > 0)
            {
                ulong mapLen = MemoryManager.PageUp(fileEnd) - pageStart;
                long r = mm.Map(null, pageStart, mapLen, prot, true, false, false, file, (long)(off - (vaddr - pageStart)), name);
                if (r < 0) return (int)r;
                // Bytes after the file's part of the last page belong to .bss: zero them.
                ulong tail = MemoryManager.PageUp(fileEnd) - fileEnd;
                if (tail > 0 && memEnd > fileEnd)
                {
                    var z = new byte[tail];
                    ForceWrite(mm, fileEnd, z);
                }
                else if (tail > 0)
                {
                    ForceWrite(mm, fileEnd, new byte[tail]);
                }
            }
            ulong anonStart = MemoryManager.PageUp(fileEnd);
            if (filesz == 0) anonStart = pageStart;
            if (memEnd > anonStart)
            {
                long r = mm.Map(null, anonStart, MemoryManager.PageUp(memEnd) - anonStart, prot, true, false, false, null, 0, "");
                if (r < 0) return (int)r;
            }
        }
        image = new Image
        {
            Bias = bias, Entry = entry + bias, PhdrAddr = phdrVaddr + bias, PhNum = phnum,
            End = maxVaddr + bias, Interp = interp,
        };
        return 0;
    }

    /// <summary>Writes into a possibly read-only segment while loading (the kernel may; the guest may not).</summary>
    private static void ForceWrite(MemoryManager mm, ulong addr, byte[] data)
    {
        var vma = mm.Find(addr);
        if (vma is null) return;
        int prot = vma.Prot;
        vma.Prot |= Libc.PROT_READ | Libc.PROT_WRITE;
        mm.CopyOut(addr, data);
        vma.Prot = prot;
    }
}
