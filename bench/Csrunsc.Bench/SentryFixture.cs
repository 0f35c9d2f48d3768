using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Bench;

/// <summary>
/// A guest task without a platform, over a tmpfs root, with 1 MiB of guest memory at
/// <see cref="Base"/> (the same construction as tests/Csrunsc.Tests/Syscalls/SyscallHarness.cs):
/// syscall handlers are called straight through the table, as the run loop does after a stop.
/// </summary>
public sealed class SentryFixture : IDisposable
{
    public const ulong Base = 0x10_0000;
    public const ulong Size = 1 << 20;

    public SentryFixture()
    {
        Fs = new TmpfsFileSystem();
        var mounts = new MountTable();
        var rootMount = new Mount("/", Fs, Fs.Root, false, "none", "");
        mounts.Add(rootMount);
        Memory = new MemoryFile(1 << 26);
        var kernel = new Kernel(null!, Memory, mounts, null!);
        var mm = new MemoryManager(Memory, 0x1_0000, 0x7FFF_FFFF_F000);
        long r = mm.Map(null, Base, Size, Libc.PROT_READ | Libc.PROT_WRITE, fixedAddr: true, noReplace: false, shared: false, null, 0, "bench");
        if (r != (long)Base) throw new InvalidOperationException("map failed: " + r);
        var root = new VfsPath(rootMount, Fs.Root, null, "");
        var group = new ThreadGroup(kernel, 1, null, new SignalHandlers(), Credentials.Of(0, 0, []));
        Task = new Task(kernel, group, 1, mm, new FdTable(), new FsContext(root, root, 0x12));
        group.AddTask(Task);
    }

    public TmpfsFileSystem Fs { get; }
    public MemoryFile Memory { get; }
    public Task Task { get; }

    public void Dispose()
    {
        Task.Fds.CloseAll();
        Memory.Dispose();
    }
}
