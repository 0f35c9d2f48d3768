namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Guest user and group ids of a thread group and its capability sets (see <see cref="Capabilities"/>
/// for how they are computed at start, across uid changes and execve).
/// </summary>
public sealed class Credentials
{
    public uint Uid, Euid, Suid, Fsuid;
    public uint Gid, Egid, Sgid, Fsgid;
    public uint[] Groups = [];

    /// <summary>Capability sets as masks of capability numbers (capget's permitted/effective/inheritable).</summary>
    public ulong CapPermitted, CapEffective, CapInheritable;

    /// <summary>securebits (SECBIT_KEEP_CAPS is bit 4, PR_SET_KEEPCAPS sets it; execve clears it).</summary>
    public uint Securebits;

    public const uint SECBIT_NOROOT = 1, SECBIT_NOROOT_LOCKED = 2, SECBIT_NO_SETUID_FIXUP = 4,
        SECBIT_NO_SETUID_FIXUP_LOCKED = 8, SECBIT_KEEP_CAPS = 16, SECBIT_KEEP_CAPS_LOCKED = 32,
        SECBIT_NO_CAP_AMBIENT_RAISE = 64, SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 128;

    public Credentials Clone() => (Credentials)MemberwiseClone();

    /// <summary>The credentials of a process the runtime starts: its ids and, for uid 0, the configured capabilities.</summary>
    public static Credentials Of(uint uid, uint gid, uint[] groups, ulong configuredCaps = ulong.MaxValue)
    {
        var c = new Credentials
        {
            Uid = uid, Euid = uid, Suid = uid, Fsuid = uid,
            Gid = gid, Egid = gid, Sgid = gid, Fsgid = gid,
            Groups = groups,
        };
        ulong caps = uid == 0 ? configuredCaps & Capabilities.AllMask : 0;
        c.CapPermitted = c.CapEffective = caps;
        return c;
    }
}
