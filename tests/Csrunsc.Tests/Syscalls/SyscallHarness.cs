using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Syscalls;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Tests.Syscalls;

/// <summary>
/// A task over a tmpfs root with 1 MiB of guest memory at <see cref="Base"/>, no platform: syscall
/// handlers are called straight through the table, as the run loop does.
/// </summary>
internal sealed class SyscallHarness : IDisposable
{
    public const ulong Base = 0x10_0000;
    public const ulong Size = 1 << 20;

    private ulong _next = Base;

    public SyscallHarness(uint uid = 0)
    {
        Fs = new TmpfsFileSystem();
        Mounts = new MountTable();
        RootMount = new Mount("/", Fs, Fs.Root, false, "none", "");
        Mounts.Add(RootMount);
        Memory = new MemoryFile(1 << 26);
        Kernel = new Kernel(null!, Memory, Mounts, null!);
        var mm = new MemoryManager(Memory, 0x1_0000, 0x7FFF_FFFF_F000);
        long r = mm.Map(null, Base, Size, Libc.PROT_READ | Libc.PROT_WRITE, fixedAddr: true, noReplace: false, shared: false, null, 0, "test");
        if (r != (long)Base) throw new InvalidOperationException("map failed: " + r);
        Root = new VfsPath(RootMount, Fs.Root, null, "");
        var group = new ThreadGroup(Kernel, 1, null, new SignalHandlers(), Credentials.Of(uid, uid, []));
        Task = new Task(Kernel, group, 1, mm, new FdTable(), new FsContext(Root, Root, 0x12));
        group.AddTask(Task);
    }

    public TmpfsFileSystem Fs { get; }
    public MountTable Mounts { get; }
    public Mount RootMount { get; }
    public MemoryFile Memory { get; }
    public Kernel Kernel { get; }
    public VfsPath Root { get; }
    public Task Task { get; }

    /// <summary>Mounts a fresh tmpfs at path (the directory is made in the root tmpfs first).</summary>
    public TmpfsFileSystem MountTmpfs(string path, bool readOnly = false)
    {
        Fs.AddDirectory(path);
        var fs = new TmpfsFileSystem(readOnly: readOnly);
        Mounts.Add(new Mount(path, fs, fs.Root, readOnly, "tmpfs", ""));
        return fs;
    }

    /// <summary>Reserves guest memory (8-byte aligned) and returns its address.</summary>
    public ulong Alloc(int bytes)
    {
        ulong a = _next;
        _next += (ulong)((bytes + 7) & ~7);
        if (_next > Base + Size) throw new InvalidOperationException("harness memory exhausted");
        return a;
    }

    /// <summary>Copies a NUL-terminated string into guest memory.</summary>
    public ulong Str(string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s + "\0");
        ulong a = Alloc(b.Length);
        Check(Task.CopyOut(a, b));
        return a;
    }

    public ulong Bytes(ReadOnlySpan<byte> data)
    {
        ulong a = Alloc(Math.Max(1, data.Length));
        Check(Task.CopyOut(a, data));
        return a;
    }

    public byte[] Read(ulong addr, int len)
    {
        var b = new byte[len];
        Check(Task.CopyIn(addr, b));
        return b;
    }

    public string ReadString(ulong addr, int len) => Encoding.UTF8.GetString(Read(addr, len));

    public long Call(int nr, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong a4 = 0, ulong a5 = 0)
    {
        var entry = SyscallTable.Get(nr) ?? throw new InvalidOperationException($"syscall {nr} not registered");
        return entry.Handler(Task, new SyscallArguments(a0, a1, a2, a3, a4, a5));
    }

    public static ulong U(long v) => (ulong)v;

    private static void Check(int r)
    {
        if (r < 0) throw new InvalidOperationException("guest memory access failed: " + r);
    }

    public void Dispose()
    {
        Task.Fds.CloseAll();
        Memory.Dispose();
    }
}
