using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using KernelState = Csrunsc.Sentry.Kernel.Kernel;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>
/// procfs. Files are generated when opened from the kernel's live state (the pid namespace, each
/// task's memory, fds and mounts). cpuinfo comes from the host's file, read by the boot code before
/// the Sentry chroots (pass "" when unavailable); meminfo from the kernel's MemoryAccounting.
/// </summary>
public sealed class ProcFileSystem : FileSystem
{
    private readonly ProcDirectory _root;

    /// <param name="users">The mounting container's user namespace: what the host kernel owns
    /// (the root, system files) belongs to its view of host root (<see cref="Kernel.UserNamespaceMap.HostRootUid"/>).</param>
    public ProcFileSystem(KernelState kernel, string hostCpuinfo, Kernel.UserNamespaceMap? users = null) : base("proc", false)
    {
        Kernel = kernel;
        HostRootUid = users?.HostRootUid ?? 0;
        HostRootGid = users?.HostRootGid ?? 0;
        HostCpuinfo = hostCpuinfo;
        long bootNs = kernel.BootRealtimeNs;
        BootTime = new Timespec { Sec = bootNs / 1_000_000_000, Nsec = bootNs % 1_000_000_000 };
        BootId = Guid.NewGuid().ToString();
        Net = new ProcNetDirectory(this);
        Net.AddFile("unix", () => Socket.Unix.UnixProcNet.Table(kernel));
        if (kernel.Network is { } network) Socket.Host.HostNetworkSetup.AddProcFiles(Net, network);
        _root = new ProcRootDirectory(this);
    }

    /// <summary>
    /// A filesystem of one directory mirrored from <paramref name="source"/> (the guest's cgroup
    /// views): procfs's inodes and files, shown as <paramref name="fsType"/>, read-only.
    /// </summary>
    public ProcFileSystem(KernelState kernel, string fsType, IProcSource source) : base(fsType, true)
    {
        Kernel = kernel;
        HostCpuinfo = "";
        long bootNs = kernel.BootRealtimeNs;
        BootTime = new Timespec { Sec = bootNs / 1_000_000_000, Nsec = bootNs % 1_000_000_000 };
        BootId = "";
        Net = new ProcNetDirectory(this);
        _root = new ProcMirrorDirectory(this, source, "", writeCapability: -1, perm: 0x1ED /*0755*/);
    }

    /// <summary>Owner of the inodes made with <see cref="ProcInode.HostRoot"/>: 0, or 65534 in a user namespace leaving host root unmapped.</summary>
    public uint HostRootUid { get; }

    public uint HostRootGid { get; }

    /// <summary>/proc/net, shared by every process (the sandbox has one network namespace).</summary>
    public ProcNetDirectory Net { get; }

    public KernelState Kernel { get; }

    public string HostCpuinfo { get; }

    public string BootId { get; }

    /// <summary>Wall-clock boot time: the times every procfs inode reports.</summary>
    public Timespec BootTime { get; }

    public override Inode Root => _root;

    /// <summary>Reads the host's /proc/cpuinfo and /proc/meminfo (call before chroot); "" for what cannot be read.</summary>
    public static (string Cpuinfo, string Meminfo) ReadHostFiles() => (ReadHost("/proc/cpuinfo"), ReadHost("/proc/meminfo"));

    private static string ReadHost(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
