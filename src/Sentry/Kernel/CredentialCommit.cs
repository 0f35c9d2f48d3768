namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// commit_creds's side effects on the process whose credentials changed: when the effective or
/// fs uid/gid changes, or the permitted capabilities grow, the process stops being dumpable
/// (suid_dumpable, 0 as Linux's default: no /proc/sys/fs/suid_dumpable to change it) and every
/// thread's PR_SET_PDEATHSIG is cleared (a parent may not signal a process that gained or
/// changed identity). Credentials are per process here, so every thread is affected, as glibc's
/// set*id broadcast makes it under Linux.
/// </summary>
public static class CredentialCommit
{
    /// <summary>fs.suid_dumpable (SUID_DUMP_DISABLE).</summary>
    public const int SuidDumpable = 0;

    /// <summary>What commit_creds compares: the ids and the permitted set before the change.</summary>
    public readonly record struct Before(uint Euid, uint Egid, uint Fsuid, uint Fsgid, ulong Permitted);

    public static Before Snapshot(Credentials c) => new(c.Euid, c.Egid, c.Fsuid, c.Fsgid, c.Caps.Permitted);

    /// <summary>After a credential change of the group: applies commit_creds's effects if it was one that counts.</summary>
    public static void Committed(ThreadGroup group, in Before old)
    {
        var c = group.Creds;
        if (c.Euid == old.Euid && c.Egid == old.Egid && c.Fsuid == old.Fsuid && c.Fsgid == old.Fsgid
            && (c.Caps.Permitted & ~old.Permitted) == 0)
            return;
        group.Dumpable = SuidDumpable;
        lock (group)
        {
            foreach (var t in group.Tasks) t.ParentDeathSignal = 0;
        }
    }
}
