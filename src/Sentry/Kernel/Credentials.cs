namespace Csrunsc.Sentry.Kernel;

/// <summary>Guest user and group ids of a thread group, and its capability sets.</summary>
public sealed class Credentials
{
    public uint Uid, Euid, Suid, Fsuid;
    public uint Gid, Egid, Sgid, Fsgid;
    public uint[] Groups = [];
    public CapabilitySets Caps;

    public Credentials Clone() => (Credentials)MemberwiseClone();

    /// <summary>Ids with the sets of a process started by a privileged host root: uid 0 holds every capability, others none.</summary>
    public static Credentials Of(uint uid, uint gid, uint[] groups) =>
        Of(uid, gid, groups, uid == 0 ? CapabilitySets.FullRoot : new CapabilitySets { Bounding = CapabilitySets.All });

    public static Credentials Of(uint uid, uint gid, uint[] groups, in CapabilitySets caps) => new()
    {
        Caps = caps,
        Uid = uid, Euid = uid, Suid = uid, Fsuid = uid,
        Gid = gid, Egid = gid, Sgid = gid, Fsgid = gid,
        Groups = groups,
    };
}
