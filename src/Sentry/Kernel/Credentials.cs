namespace Csrunsc.Sentry.Kernel;

/// <summary>Guest user and group ids of a thread group (no capabilities model yet: uid 0 is all-powerful).</summary>
public sealed class Credentials
{
    public uint Uid, Euid, Suid, Fsuid;
    public uint Gid, Egid, Sgid, Fsgid;
    public uint[] Groups = [];

    public Credentials Clone() => (Credentials)MemberwiseClone();

    public static Credentials Of(uint uid, uint gid, uint[] groups) => new()
    {
        Uid = uid, Euid = uid, Suid = uid, Fsuid = uid,
        Gid = gid, Egid = gid, Sgid = gid, Fsgid = gid,
        Groups = groups,
    };
}
