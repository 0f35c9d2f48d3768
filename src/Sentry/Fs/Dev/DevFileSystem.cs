using Csrunsc.Native;
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
    /// Makes /dev. console opens /dev/tty (the sandbox's controlling terminal); without one, /dev/tty
    /// fails with ENXIO as it does for a process with no controlling terminal.
    /// </summary>
    public static TmpfsFileSystem Create(CharDeviceOpener? console = null)
    {
        RegisterDrivers(console);
        var fs = new TmpfsFileSystem("tmpfs", readOnly: false, rootMode: FileMode.Directory | 0x1ED);
        fs.AddCharDevice("null", MemMajor, (uint)MemoryDeviceKind.Null);
        fs.AddCharDevice("zero", MemMajor, (uint)MemoryDeviceKind.Zero);
        fs.AddCharDevice("full", MemMajor, (uint)MemoryDeviceKind.Full);
        fs.AddCharDevice("random", MemMajor, (uint)MemoryDeviceKind.Random);
        fs.AddCharDevice("urandom", MemMajor, (uint)MemoryDeviceKind.URandom);
        fs.AddCharDevice("tty", TtyMajor, TtyMinor);
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

    /// <summary>devpts for /dev/pts: ptmx exists but pseudo-terminals are not implemented yet (ENXIO).</summary>
    public static TmpfsFileSystem CreateDevPts()
    {
        var fs = new TmpfsFileSystem("devpts", readOnly: false, rootMode: FileMode.Directory | 0x1ED);
        fs.AddCharDevice("ptmx", TtyMajor, PtmxMinor, 0x1B6);
        return fs;
    }

    /// <summary>A tmpfs for /dev/shm (mode 1777).</summary>
    public static TmpfsFileSystem CreateShm() => new("tmpfs", readOnly: false, rootMode: FileMode.Directory | 0x3FF);

    /// <summary>Registers the memory devices and /dev/tty in <see cref="DeviceRegistry"/>.</summary>
    public static void RegisterDrivers(CharDeviceOpener? console = null)
    {
        lock (s_registerLock)
        {
            if (!s_registered)
            {
                foreach (var kind in Enum.GetValues<MemoryDeviceKind>())
                    DeviceRegistry.Register(MemMajor, (uint)kind, MemoryDeviceFileDescription.OpenerFor(kind));
                s_registered = true;
            }
            if (console is not null || !s_ttyRegistered)
            {
                DeviceRegistry.Register(TtyMajor, TtyMinor, console ?? NoTerminal);
                s_ttyRegistered = true;
            }
        }
    }

    private static bool s_ttyRegistered;

    private static int NoTerminal(Inode node, int flags, out FileDescription? file)
    {
        file = null;
        return -Errno.ENXIO;
    }
}
