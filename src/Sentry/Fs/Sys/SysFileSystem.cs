using System.Text;
using Csrunsc.Sentry.Fs.Tmpfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Sys;

/// <summary>
/// A minimal read-only sysfs: the CPU topology files glibc and runtimes read to size thread pools,
/// the transparent hugepage setting, and the /sys/fs/cgroup mount point.
/// </summary>
public static class SysFileSystem
{
    /// <summary>
    /// Builds /sys for cpuCount CPUs (default: the CPUs the Sentry may run on). uid/gid: the host
    /// root as the container sees it (<see cref="Kernel.UserNamespaceMap.HostRootUid"/>), owner of
    /// everything but the network namespace's class/net, as sysfs shows in a user namespace.
    /// </summary>
    public static TmpfsFileSystem Create(int cpuCount = 0, Socket.Host.HostNetwork? network = null, uint uid = 0, uint gid = 0)
    {
        if (cpuCount <= 0) cpuCount = Environment.ProcessorCount;
        var fs = new TmpfsFileSystem("sysfs", readOnly: true, rootMode: FileMode.Directory | 0x16D /*0555*/, uid, gid);
        string range = cpuCount == 1 ? "0\n" : $"0-{cpuCount - 1}\n";
        var bytes = Encoding.ASCII.GetBytes(range);
        const string cpu = "devices/system/cpu";
        fs.AddDirectory(cpu, uid: uid, gid: gid);
        fs.AddFile(cpu + "/online", bytes, 0x124 /*0444*/, uid, gid);
        fs.AddFile(cpu + "/possible", bytes, 0x124, uid, gid);
        fs.AddFile(cpu + "/present", bytes, 0x124, uid, gid);
        for (int i = 0; i < cpuCount; i++)
        {
            fs.AddDirectory($"{cpu}/cpu{i}", uid: uid, gid: gid);
            fs.AddFile($"{cpu}/cpu{i}/online", "1\n"u8, 0x1A4, uid, gid);
        }
        fs.AddDirectory("kernel/mm/transparent_hugepage", uid: uid, gid: gid);
        fs.AddFile("kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n"u8, 0x1A4, uid, gid);
        fs.AddFile("kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never\n"u8, 0x1A4, uid, gid);
        fs.AddDirectory("fs/cgroup", uid: uid, gid: gid);
        fs.AddDirectory("class", uid: uid, gid: gid);
        // The guest's network namespace's interfaces (without a network: an empty class).
        if (network is not null) fs.AddNode("class/net", SysClassNet.Create(fs, network));
        else fs.AddDirectory("class/net");
        fs.AddDirectory("bus", uid: uid, gid: gid);
        fs.AddDirectory("block", uid: uid, gid: gid);
        return fs;
    }

    /// <summary>An empty read-only placeholder for /sys/fs/cgroup (cgroup controllers are not emulated).</summary>
    public static TmpfsFileSystem CreateCgroup() =>
        new("cgroup2", readOnly: true, rootMode: FileMode.Directory | 0x16D);
}
