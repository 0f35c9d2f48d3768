namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Linux capability numbers and the one place privileged operations ask whether a task holds
/// one: its effective set (<see cref="Credentials.CapEffective"/>). Interim model of where the
/// sets come from: a process started as uid 0 gets config.json's process.capabilities.effective
/// (<see cref="Kernel.ConfiguredCapabilities"/>) as permitted and effective, any other uid none
/// (no ambient/bounding sets yet). From there they follow Linux: uid changes juggle them as
/// cap_emulate_setxuid does (<see cref="FixSetuid"/>), setfsuid drops/raises the fs set, execve
/// recomputes them for root or clears them (<see cref="ForExec"/>), capset narrows them.
/// </summary>
public static class Capabilities
{
    public const int CHOWN = 0, DAC_OVERRIDE = 1, DAC_READ_SEARCH = 2, FOWNER = 3, FSETID = 4, KILL = 5, SETGID = 6,
        SETUID = 7, SETPCAP = 8, LINUX_IMMUTABLE = 9, NET_BIND_SERVICE = 10, NET_BROADCAST = 11, NET_ADMIN = 12,
        NET_RAW = 13, IPC_LOCK = 14, IPC_OWNER = 15, SYS_MODULE = 16, SYS_RAWIO = 17, SYS_CHROOT = 18, SYS_PTRACE = 19,
        SYS_PACCT = 20, SYS_ADMIN = 21, SYS_BOOT = 22, SYS_NICE = 23, SYS_RESOURCE = 24, SYS_TIME = 25,
        SYS_TTY_CONFIG = 26, MKNOD = 27, LEASE = 28, AUDIT_WRITE = 29, AUDIT_CONTROL = 30, SETFCAP = 31,
        MAC_OVERRIDE = 32, MAC_ADMIN = 33, SYSLOG = 34, WAKE_ALARM = 35, BLOCK_SUSPEND = 36, AUDIT_READ = 37,
        PERFMON = 38, BPF = 39, CHECKPOINT_RESTORE = 40;

    public const int Last = CHECKPOINT_RESTORE;

    private static readonly string[] s_names =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>The number of a "CAP_..." name, or -1.</summary>
    public static int Parse(string name) => Array.IndexOf(s_names, name);

    /// <summary>A mask of named capabilities (unknown names are ignored here; config validation reports them).</summary>
    public static ulong MaskOf(IEnumerable<string>? names)
    {
        ulong mask = 0;
        foreach (var n in names ?? [])
        {
            int c = Parse(n);
            if (c >= 0) mask |= 1UL << c;
        }
        return mask;
    }

    public const ulong AllMask = (1UL << (Last + 1)) - 1;

    /// <summary>The capabilities that follow the fs uid (CAP_FS_SET): chown, mknod, dac_*, fowner, fsetid, linux_immutable, mac_override.</summary>
    public const ulong FsSet = (1UL << CHOWN) | (1UL << MKNOD) | (1UL << DAC_OVERRIDE) | (1UL << DAC_READ_SEARCH) |
        (1UL << FOWNER) | (1UL << FSETID) | (1UL << LINUX_IMMUTABLE) | (1UL << MAC_OVERRIDE);

    /// <summary>Whether t may do what capability cap guards.</summary>
    public static bool Has(Task t, int cap) => (t.ThreadGroup.Creds.CapEffective & (1UL << cap)) != 0;

    /// <summary>
    /// After a setuid/setreuid/setresuid (old → c): losing uid 0 from all of real, effective and
    /// saved clears permitted and effective (unless SECBIT_KEEP_CAPS); an effective uid leaving 0
    /// clears the effective set, one returning to 0 restores it from permitted.
    /// </summary>
    public static void FixSetuid(Credentials c, uint oldUid, uint oldEuid, uint oldSuid)
    {
        if ((c.Securebits & Credentials.SECBIT_NO_SETUID_FIXUP) != 0) return;
        if ((oldUid == 0 || oldEuid == 0 || oldSuid == 0) && c.Uid != 0 && c.Euid != 0 && c.Suid != 0)
        {
            if ((c.Securebits & Credentials.SECBIT_KEEP_CAPS) == 0) c.CapPermitted = c.CapEffective = 0;
        }
        if (oldEuid == 0 && c.Euid != 0) c.CapEffective = 0;
        if (oldEuid != 0 && c.Euid == 0) c.CapEffective = c.CapPermitted;
    }

    /// <summary>After setfsuid: leaving fs uid 0 drops the fs capabilities from effective, reaching it raises those permitted.</summary>
    public static void FixSetfsuid(Credentials c, uint oldFsuid)
    {
        if ((c.Securebits & Credentials.SECBIT_NO_SETUID_FIXUP) != 0) return;
        if (oldFsuid == 0 && c.Fsuid != 0) c.CapEffective &= ~FsSet;
        if (oldFsuid != 0 && c.Fsuid == 0) c.CapEffective |= c.CapPermitted & FsSet;
    }

    /// <summary>
    /// execve (no file capabilities, no ambient set): a real or effective uid 0 gets the configured
    /// set as permitted (effective too when the euid is 0), anyone else none; keep-caps is cleared.
    /// </summary>
    public static void ForExec(Credentials c, ulong configured)
    {
        if ((c.Securebits & Credentials.SECBIT_NOROOT) == 0 && (c.Uid == 0 || c.Euid == 0))
        {
            c.CapPermitted = configured & AllMask;
            c.CapEffective = c.Euid == 0 ? c.CapPermitted : 0;
        }
        else
        {
            c.CapPermitted = c.CapEffective = 0;
        }
        c.Securebits &= ~Credentials.SECBIT_KEEP_CAPS;
    }
}
