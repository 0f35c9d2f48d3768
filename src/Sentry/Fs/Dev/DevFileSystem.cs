using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Pty;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Dev;

/// <summary>
/// Builds the container's /dev: a tmpfs with the standard character devices, the /proc/self/fd
/// links and the mount points for devpts, shm and mqueue (as runc's default spec mounts them).
/// </summary>
public static class DevFileSystem
{
    public const uint MemMajor = 1, TtyMajor = 5, TtyMinor = 0, ConsoleMinor = 1, PtmxMinor = 2;

    private static readonly object s_registerLock = new();
    private static bool s_registered;

    /// <summary>
    /// Makes /dev. /dev/tty opens the caller's controlling terminal (ENXIO without one); /dev/ptmx
    /// is a symlink to the devpts instance's ptmx.
    /// </summary>
    /// <param name="uid">Owner of the standard device nodes: the host root as the container sees it
    /// (in a user namespace runc bind-mounts them from the host, so they show as 65534).</param>
    public static TmpfsFileSystem Create(uint uid = 0, uint gid = 0)
    {
        RegisterDrivers();
        var fs = new TmpfsFileSystem("tmpfs", readOnly: false, rootMode: FileMode.Directory | 0x1ED);
        fs.AddCharDevice("null", MemMajor, (uint)MemoryDeviceKind.Null, uid: uid, gid: gid);
        fs.AddCharDevice("zero", MemMajor, (uint)MemoryDeviceKind.Zero, uid: uid, gid: gid);
        fs.AddCharDevice("full", MemMajor, (uint)MemoryDeviceKind.Full, uid: uid, gid: gid);
        fs.AddCharDevice("random", MemMajor, (uint)MemoryDeviceKind.Random, uid: uid, gid: gid);
        fs.AddCharDevice("urandom", MemMajor, (uint)MemoryDeviceKind.URandom, uid: uid, gid: gid);
        fs.AddCharDevice("tty", TtyMajor, TtyMinor, uid: uid, gid: gid);
        fs.AddSymlink("fd", "/proc/self/fd");
        fs.AddSymlink("stdin", "/proc/self/fd/0");
        fs.AddSymlink("stdout", "/proc/self/fd/1");
        fs.AddSymlink("stderr", "/proc/self/fd/2");
        fs.AddSymlink("ptmx", "pts/ptmx");
        fs.AddSymlink("core", "/proc/kcore");
        fs.AddDirectory("pts");
        fs.AddDirectory("shm", 0x3FF /*1777*/);
        fs.AddDirectory("mqueue", 0x3FF /*1777*/);
        return fs;
    }

    /// <summary>devpts for /dev/pts with its mount options (Fs/Pty/DevPts).</summary>
    public static TmpfsFileSystem CreateDevPts(string options = "mode=0620,ptmxmode=0666,gid=5")
    {
        RegisterDrivers();
        return DevPts.Create(options);
    }

    /// <summary>A tmpfs for /dev/shm (mode 1777).</summary>
    public static TmpfsFileSystem CreateShm() => new("tmpfs", readOnly: false, rootMode: FileMode.Directory | 0x3FF);

    /// <summary>Registers the memory devices, /dev/tty and ptmx in <see cref="DeviceRegistry"/>.</summary>
    public static void RegisterDrivers()
    {
        lock (s_registerLock)
        {
            if (s_registered) return;
            foreach (var kind in Enum.GetValues<MemoryDeviceKind>())
                DeviceRegistry.Register(MemMajor, (uint)kind, MemoryDeviceFileDescription.OpenerFor(kind));
            DeviceRegistry.Register(TtyMajor, TtyMinor, DevTty.Open);
            DeviceRegistry.Register(TtyMajor, PtmxMinor, DevPts.OpenMaster);
            s_registered = true;
        }
    }
}
