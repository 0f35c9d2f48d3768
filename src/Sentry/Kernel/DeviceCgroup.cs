using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// One rule of config.json's linux.resources.devices: allow or deny access (r, w, m bits) to
/// devices of a type ('a' all, 'c' character, 'b' block) and number (-1: any major or minor).
/// </summary>
public readonly record struct DeviceRule(bool Allow, char Type, long Major, long Minor, int Access)
{
    public const int Read = 1, Write = 2, Mknod = 4;

    public bool Matches(char type, uint major, uint minor) =>
        (Type == 'a' || Type == type) && (Major < 0 || Major == major) && (Minor < 0 || Minor == minor);

    /// <summary>"rwm" letters as bits; -1 for any other letter.</summary>
    public static int ParseAccess(string access)
    {
        int bits = 0;
        foreach (char c in access)
            bits |= c switch { 'r' => Read, 'w' => Write, 'm' => Mknod, _ => int.MinValue };
        return bits < 0 ? -1 : bits;
    }
}

/// <summary>
/// The devices controller of a container (Linux's devcgroup, as runc programs it): which device
/// nodes its processes may open for reading or writing and mknod. Checked by open(2) after the
/// permission bits and by mknod(2) after CAP_MKNOD, each answering EPERM when denied — the Sentry's
/// own enforcement, since guest opens never reach the host's cgroup.
///
/// Rules apply in order on top of allow-all; for each access bit the last rule that matches the
/// device and names the bit decides (cgroup v1's behaviour, and runc's eBPF program on v2). Like
/// runc, the rules always end with runc's default allowed devices, so a container can always use
/// /dev/null, /dev/zero, its ptys and so on, and mknod is left to CAP_MKNOD.
/// </summary>
public sealed class DeviceCgroup
{
    /// <summary>runc's specconv.AllowedDevices, appended after the config's rules.</summary>
    public static readonly DeviceRule[] RuncDefaults =
    [
        new(true, 'c', -1, -1, DeviceRule.Mknod),
        new(true, 'b', -1, -1, DeviceRule.Mknod),
        new(true, 'c', 1, 3, 7),    // /dev/null
        new(true, 'c', 1, 8, 7),    // /dev/random
        new(true, 'c', 1, 7, 7),    // /dev/full
        new(true, 'c', 5, 0, 7),    // /dev/tty
        new(true, 'c', 1, 5, 7),    // /dev/zero
        new(true, 'c', 1, 9, 7),    // /dev/urandom
        new(true, 'c', 136, -1, 7), // /dev/pts/*
        new(true, 'c', 5, 2, 7),    // /dev/ptmx
        new(true, 'c', 10, 200, 7), // /dev/net/tun
    ];

    /// <summary>No rules from the config: everything is allowed (the cgroup's initial state).</summary>
    public static readonly DeviceCgroup AllowAll = new([]);

    private readonly DeviceRule[] _rules;

    /// <summary>The config's rules followed by <see cref="RuncDefaults"/>.</summary>
    public DeviceCgroup(IReadOnlyList<DeviceRule> configRules)
    {
        _rules = configRules.Count == 0 ? [] : [.. configRules, .. RuncDefaults];
    }

    /// <summary>Whether every bit of access is allowed for the device node of the given file type (FileMode.CharDevice or Block).</summary>
    public bool Permits(uint fileType, uint major, uint minor, int access)
    {
        char type = fileType == FileMode.Block ? 'b' : 'c';
        for (int bit = 1; bit <= DeviceRule.Mknod; bit <<= 1)
        {
            if ((access & bit) == 0) continue;
            for (int i = _rules.Length - 1; i >= 0; i--)
            {
                ref readonly var rule = ref _rules[i];
                if ((rule.Access & bit) == 0 || !rule.Matches(type, major, minor)) continue;
                if (!rule.Allow) return false;
                break;
            }
        }
        return true;
    }
}
