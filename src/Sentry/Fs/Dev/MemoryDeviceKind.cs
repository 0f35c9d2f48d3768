namespace Csrunsc.Sentry.Fs.Dev;

/// <summary>The memory devices of major 1 (drivers/char/mem.c); the value is the minor number.</summary>
public enum MemoryDeviceKind : uint
{
    Null = 3,
    Zero = 5,
    Full = 7,
    Random = 8,
    URandom = 9,
}
