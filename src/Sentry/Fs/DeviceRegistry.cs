using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs;

/// <summary>Opens a character device node: the node (for fstat) and the guest's open flags.</summary>
public delegate int CharDeviceOpener(Inode node, int flags, out FileDescription? file);

/// <summary>
/// The Sentry's character-device table (Linux's chrdevs): maps a device number to the code that opens
/// it, so a node made anywhere (devtmpfs, or mknod in a tmpfs) reaches the same driver.
/// </summary>
public static class DeviceRegistry
{
    private static readonly Dictionary<ulong, CharDeviceOpener> s_devices = new();

    public static void Register(uint major, uint minor, CharDeviceOpener opener)
    {
        lock (s_devices) s_devices[DeviceNumber.Make(major, minor)] = opener;
    }

    /// <summary>Opens the device rdev; -ENXIO when no driver is registered for it.</summary>
    public static int Open(ulong rdev, Inode node, int flags, out FileDescription? file)
    {
        CharDeviceOpener? opener;
        lock (s_devices) s_devices.TryGetValue(rdev, out opener);
        if (opener is null)
        {
            file = null;
            return -Errno.ENXIO;
        }
        return opener(node, flags, out file);
    }
}
