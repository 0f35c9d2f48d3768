namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// The five capability sets of a credential and the securebits (no_new_privs is per task:
/// <see cref="Task.NoNewPrivs"/>), and the kernel's transformations of them: capset's rules
/// (cap_capset) and the uid-change fixups (cap_task_fix_setuid); execve's
/// (cap_bprm_creds_from_file, with set-id files and file capabilities) is <see cref="ExecCredentials"/>.
/// </summary>
public struct CapabilitySets
{
    public const ulong All = (1UL << (Capabilities.Last + 1)) - 1;

    // securebits (linux/securebits.h).
    public const uint SECBIT_NOROOT = 1 << 0, SECBIT_NOROOT_LOCKED = 1 << 1, SECBIT_NO_SETUID_FIXUP = 1 << 2,
        SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 3, SECBIT_KEEP_CAPS = 1 << 4, SECBIT_KEEP_CAPS_LOCKED = 1 << 5,
        SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6, SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7,
        SecureAllBits = 0x55, SecureAllLocks = 0xAA;

    // CAP_FS_SET (CAP_FS_MASK and LINUX_IMMUTABLE): what a change of fsuid to or from 0 moves in the effective set.
    public const ulong FsMask = (1UL << Capabilities.CHOWN) | (1UL << Capabilities.MKNOD) | (1UL << Capabilities.DAC_OVERRIDE)
        | (1UL << Capabilities.DAC_READ_SEARCH) | (1UL << Capabilities.FOWNER) | (1UL << Capabilities.FSETID)
        | (1UL << Capabilities.LINUX_IMMUTABLE) | (1UL << Capabilities.MAC_OVERRIDE);

    public ulong Inheritable, Permitted, Effective, Bounding, Ambient;

    /// <summary>Every capability permitted and effective, none inheritable or ambient (the host's root).</summary>
    public static CapabilitySets FullRoot => new() { Permitted = All, Effective = All, Bounding = All };
    public uint Securebits;

    public readonly bool Has(int cap) => (Effective & (1UL << cap)) != 0;

    /// <summary>
    /// The sets a container process starts with, as runc leaves them just before its execve: the
    /// bounding set dropped to the list, capset(effective, permitted, inheritable), each ambient
    /// capability raised where permitted and inheritable allow (runc ignores the others). The
    /// runtime holds what its host bounding set allows (permitted = bounding, as a root runtime).
    /// False where capset would fail (runc: "unable to apply caps: operation not permitted").
    /// </summary>
    public static bool ForContainer(ulong bounding, ulong effective, ulong permitted, ulong inheritable, ulong ambient,
        ulong host, out CapabilitySets sets)
    {
        bounding &= host;
        sets = new CapabilitySets
        {
            Bounding = bounding, Effective = effective, Permitted = permitted, Inheritable = inheritable,
            Ambient = ambient & permitted & inheritable,
        };
        return (inheritable & ~bounding) == 0 && (permitted & ~host) == 0 && (effective & ~permitted) == 0;
    }

    /// <summary>capset(2) on these sets (cap_capset): 0 or -EPERM.</summary>
    public int Capset(ulong effective, ulong permitted, ulong inheritable)
    {
        if (!Has(Capabilities.SETPCAP) && (inheritable & ~(Inheritable | Permitted)) != 0) return -Native.Errno.EPERM;
        if ((inheritable & ~(Inheritable | Bounding)) != 0) return -Native.Errno.EPERM;
        if ((permitted & ~Permitted) != 0) return -Native.Errno.EPERM;
        if ((effective & ~permitted) != 0) return -Native.Errno.EPERM;
        Effective = effective;
        Permitted = permitted;
        Inheritable = inheritable;
        Ambient &= permitted & inheritable;
        return 0;
    }

    /// <summary>
    /// cap_emulate_setxuid, after setuid/setreuid/setresuid: leaving uid 0 in all of real, effective
    /// and saved clears permitted and effective (unless SECBIT_KEEP_CAPS) and ambient; leaving
    /// effective uid 0 clears effective; gaining it sets effective to
    /// permitted. (The fsuid that follows the euid moves nothing here, as in Linux.)
    /// </summary>
    public void OnUidChange(uint oldUid, uint oldEuid, uint oldSuid, uint uid, uint euid, uint suid)
    {
        if ((Securebits & SECBIT_NO_SETUID_FIXUP) != 0) return;
        if ((oldUid == 0 || oldEuid == 0 || oldSuid == 0) && uid != 0 && euid != 0 && suid != 0)
        {
            if ((Securebits & SECBIT_KEEP_CAPS) == 0)
            {
                Permitted = 0;
                Effective = 0;
            }
            Ambient = 0;
        }
        if (oldEuid == 0 && euid != 0) Effective = 0;
        if (oldEuid != 0 && euid == 0) Effective = Permitted;
    }

    /// <summary>setfsuid's rule: fsuid leaving 0 drops the filesystem capabilities from the effective set, gaining 0 raises the permitted ones.</summary>
    public void OnFsuidChange(uint oldFsuid, uint fsuid)
    {
        if ((Securebits & SECBIT_NO_SETUID_FIXUP) != 0) return;
        if (oldFsuid == 0 && fsuid != 0) Effective &= ~FsMask;
        if (oldFsuid != 0 && fsuid == 0) Effective |= Permitted & FsMask;
    }
}
