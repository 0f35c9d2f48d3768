using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// The credentials an execve gives the new program, computed before the point of no return and
/// committed after it: Linux's bprm_fill_uid (fs/exec.c: set-user-ID sets the effective uid to
/// the file's owner, set-group-ID with group execute the effective gid to its group; neither on
/// a nosuid mount nor under no_new_privs) and cap_bprm_creds_from_file (security/commoncap.c:
/// file capabilities, root's pP' = bounding | pI, the downgrade under no_new_privs or an
/// unprivileged tracer, saved and fs ids following the effective ones, ambient cleared by a
/// set-id or file-capability exec, secureexec). The file is the one finally loaded: for a #!
/// script its interpreter, so set-id bits on scripts are ignored, as in Linux.
/// Ids are the container's (its user namespace's view); a revision 3 file capability's root id
/// is compared with the container's 0 (Linux: the root of the caller's namespace or an ancestor).
/// </summary>
public static class ExecCredentials
{
    private const uint S_ISUID = 0x800, S_ISGID = 0x400, S_IXGRP = 0x8;

    /// <summary>PER_CLEAR_ON_SETID: READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE | ADDR_COMPAT_LAYOUT | MMAP_PAGE_ZERO.</summary>
    public const uint PerClearOnSetid = 0x0400000 | 0x0040000 | 0x0200000 | 0x0100000;

    /// <summary>What the exec commits: the new credentials, AT_SECURE, and whether the personality loses PER_CLEAR_ON_SETID.</summary>
    public readonly record struct Outcome(Credentials Next, bool Secure, bool ClearPersonality);

    /// <summary>0 with the outcome, or the errno the exec fails with (-EPERM: effective file capabilities the bounding set does not allow; -EINVAL: a malformed security.capability).</summary>
    public static int Compute(Task task, Inode inode, Mount mount, out Outcome outcome)
    {
        outcome = default;
        var old = task.ThreadGroup.Creds;
        var next = old.Clone();
        bool perClear = false;
        bool maySuid = !mount.NoSuid;
        int r = inode.GetStat(out StatBuf st);
        if (r < 0) return r;

        // bprm_fill_uid (the execute permission was checked when the file was opened); nothing
        // when the file's owner or group has no mapping in the container's user namespace.
        if (maySuid && !task.NoNewPrivs && inode.UnmappedIds == 0)
        {
            if ((st.Mode & S_ISUID) != 0)
            {
                perClear = true;
                next.Euid = st.Uid;
            }
            if ((st.Mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
            {
                perClear = true;
                next.Egid = st.Gid;
            }
        }

        // get_file_caps: pP' = (X & fP) | (pI & fI); none on a nosuid mount.
        var caps = next.Caps;
        caps.Permitted = 0;
        bool effective = false, hasFcap = false;
        if (maySuid)
        {
            r = FileCapabilities.Read(inode, out FileCapabilities.Sets f);
            if (r < 0) return r;
            if (r > 0)
            {
                hasFcap = true;
                effective = f.Effective;
                caps.Permitted = (caps.Bounding & f.Permitted) | (caps.Inheritable & f.Inheritable);
                // bprm_caps_from_vfs_caps: a capability-aware-less (effective) file missing some of fP cannot run.
                if (effective && (f.Permitted & ~caps.Permitted) != 0) return -Errno.EPERM;
            }
        }

        // handle_privileged_root: a set-user-ID-root file with file capabilities run by a non-root
        // user gets only the file capabilities; otherwise root (real or effective) gets bounding | pI.
        if ((old.Caps.Securebits & CapabilitySets.SECBIT_NOROOT) == 0 && !(hasFcap && next.Uid != 0 && next.Euid == 0))
        {
            if (next.Euid == 0 || next.Uid == 0) caps.Permitted = old.Caps.Bounding | old.Caps.Inheritable;
            if (next.Euid == 0) effective = true;
        }

        bool gained = (caps.Permitted & ~old.Caps.Permitted) != 0;
        if (gained) perClear = true;
        bool idChanged = next.Euid != old.Euid || !InGroup(old, next.Egid);
        // check_unsafe_exec: no_new_privs, a tracer whose credentials lacked CAP_SYS_PTRACE, or
        // the fs context (CLONE_FS) shared with another process (LSM_UNSAFE_SHARE).
        if ((idChanged || gained) && (task.NoNewPrivs || (task.Tracer is not null && !task.PtracerCapable) || SharesFsWithAnotherProcess(task)))
        {
            if (!old.Caps.Has(Capabilities.SETUID) || task.NoNewPrivs)
            {
                next.Euid = next.Uid;
                next.Egid = next.Gid;
            }
            caps.Permitted &= old.Caps.Permitted;
        }
        next.Suid = next.Fsuid = next.Euid;
        next.Sgid = next.Fsgid = next.Egid;
        if (hasFcap || idChanged) caps.Ambient = 0;
        caps.Permitted |= caps.Ambient;
        caps.Effective = effective ? caps.Permitted : caps.Ambient;
        caps.Securebits &= ~CapabilitySets.SECBIT_KEEP_CAPS;
        next.Caps = caps;

        // The privilege-elevated exec (AT_SECURE).
        bool secure = idChanged || next.Euid != old.Uid || next.Egid != old.Gid
            || (next.Uid != 0 && (effective || (caps.Permitted & ~caps.Ambient) != 0));
        outcome = new Outcome(next, secure, perClear);
        return 0;
    }

    /// <summary>LSM_UNSAFE_SHARE: a task of another thread group uses this task's FsContext (asked only for an exec that would raise privileges).</summary>
    private static bool SharesFsWithAnotherProcess(Task task)
    {
        foreach (var g in task.Kernel.Pids.Groups())
        {
            if (g == task.ThreadGroup) continue;
            foreach (var t in g.TasksSnapshot())
                if (ReferenceEquals(t.Fs, task.Fs) && !t.Exiting) return true;
        }
        return false;
    }

    /// <summary>in_group_p against the credentials before the exec: the fs gid or a supplementary group.</summary>
    private static bool InGroup(Credentials c, uint gid) => gid == c.Fsgid || Array.IndexOf(c.Groups, gid) >= 0;
}
