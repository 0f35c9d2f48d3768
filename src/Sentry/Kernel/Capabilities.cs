namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Linux capability numbers and the one place privileged operations ask whether a task holds
/// one: its effective set (<see cref="CapabilitySets"/>). What each check guards, as in Linux:
/// CHOWN chown to others; DAC_OVERRIDE / DAC_READ_SEARCH file permission bits; FOWNER chmod,
/// utimes and sticky unlink on others' files; FSETID keeping set-group-id on chmod; KILL signals
/// across uids; SETUID / SETGID the set*id family and setgroups; SETPCAP capset of inheritable
/// beyond permitted, PR_CAPBSET_DROP, PR_SET_SECUREBITS; NET_BIND_SERVICE ports below 1024;
/// NET_RAW raw and packet sockets; NET_ADMIN interface and privileged socket options; SYS_CHROOT
/// chroot; SYS_ADMIN sethostname, setdomainname, SCM_CREDENTIALS pids;
/// SYS_RESOURCE raising a hard rlimit, pipes beyond pipe-max-size; MKNOD device nodes;
/// DAC_READ_SEARCH linkat(AT_EMPTY_PATH).
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

    /// <summary>Whether t may do what capability cap guards.</summary>
    public static bool Has(Task t, int cap) => t.ThreadGroup.Creds.Caps.Has(cap);

    /// <summary>Whether cap is a capability number this kernel knows (cap_valid).</summary>
    public static bool Valid(ulong cap) => cap <= Last;
}
