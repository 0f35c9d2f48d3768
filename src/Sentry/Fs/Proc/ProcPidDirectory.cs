using System.Globalization;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>
/// /proc/&lt;pid&gt; (thread == null) or /proc/&lt;pid&gt;/task/&lt;tid&gt;: a process's files, built when
/// looked up. Each file answers ESRCH once the process is gone.
/// </summary>
public sealed class ProcPidDirectory : ProcDirectory
{
    private readonly ThreadGroup _group;
    private readonly Task? _thread;

    public ProcPidDirectory(ProcFileSystem fs, ThreadGroup group, Task? thread)
        : base(fs, ProcInodeNumber.Make(thread is null ? ProcInodeNumber.PidKind : ProcInodeNumber.TaskKind, thread?.Tid ?? group.Tgid, 0),
            0x16D, group.Creds.Euid, group.Creds.Egid)
    {
        _group = group;
        _thread = thread;
        int slot = 1;
        int kind = thread is null ? ProcInodeNumber.PidKind : ProcInodeNumber.TaskKind;
        int id = thread?.Tid ?? group.Tgid;
        ulong Ino() => ProcInodeNumber.Make(kind, id, slot++);
        uint uid = group.Creds.Euid, gid = group.Creds.Egid;

        ProcFile File(Func<Task, string> content, uint perm = 0x124) =>
            new(fs, Ino(), () => Live() is { } t ? Encoding.UTF8.GetBytes(content(t)) : null, perm, null, uid, gid);
        ProcFile Raw(Func<Task, byte[]> content, uint perm = 0x124) =>
            new(fs, Ino(), () => Live() is { } t ? content(t) : null, perm, null, uid, gid);
        ProcSymlink Link(Func<Task, string?> target) => new(fs, Ino(), () => Live() is { } t ? target(t) : null, uid, gid);

        Add("stat", File(t => ProcPidContent.Stat(fs, _group, _thread ?? t, _thread is not null)));
        Add("status", File(t => ProcPidContent.Status(_group, _thread ?? t)));
        Add("statm", File(t => ProcPidContent.Statm(t)));
        Add("cmdline", Raw(t => ProcPidContent.ReadGuestRange(t, t.Mm?.ArgvStart ?? 0, t.Mm?.ArgvEnd ?? 0)));
        Add("environ", Raw(t => ProcPidContent.ReadGuestRange(t, t.Mm?.EnvStart ?? 0, t.Mm?.EnvEnd ?? 0), 0x100));
        Add("auxv", Raw(t => t.Mm?.Auxv ?? [], 0x100));
        Add("comm", new ProcFile(fs, Ino(), () => Live() is null ? null : Encoding.UTF8.GetBytes(_group.Comm + "\n"), 0x1A4, data =>
        {
            string comm = Encoding.UTF8.GetString(data).TrimEnd('\n', '\0');
            _group.Comm = comm.Length > 15 ? comm[..15] : comm;
            return data.Length;
        }, uid, gid));
        Add("exe", Link(t => t.Mm?.ExecutablePath is { Length: > 0 } p ? p : null));
        Add("cwd", Link(t => t.Fs?.Cwd.AbsolutePath));
        Add("root", Link(t => t.Fs?.Root.AbsolutePath));
        Add("maps", File(t => t.Mm?.FormatMaps() ?? ""));
        Add("mem", new ProcMemInode(fs, Ino(), Live, uid, gid));
        Add("mounts", File(_ => ProcPidContent.Mounts(_group.Container.Mounts)));
        Add("mountinfo", File(_ => ProcPidContent.Mountinfo(_group.Container.Mounts)));
        Add("cgroup", File(_ => _group.Container.ProcCgroup));
        Add("limits", File(_ => ProcPidContent.Limits(_group)));
        Add("oom_score", File(_ => "0\n"));
        Add("oom_score_adj", new ProcFile(fs, Ino(),
            () => Live() is null ? null : Encoding.ASCII.GetBytes(_group.OomScoreAdj.ToString(CultureInfo.InvariantCulture) + "\n"),
            0x1A4, WriteOomScoreAdj, uid, gid));
        Add("loginuid", File(_ => "4294967295"));
        Add("net", fs.Net);
        Add("fd", new ProcFdDirectory(fs, this, info: false, ProcInodeNumber.Make(kind, id, slot++)));
        Add("fdinfo", new ProcFdDirectory(fs, this, info: true, ProcInodeNumber.Make(kind, id, slot++)));
        if (thread is null) Add("task", new ProcTaskDirectory(fs, this, ProcInodeNumber.Make(kind, id, slot++)));
        var ns = new ProcDirectory(fs, Ino(), 0x16D, uid, gid);
        foreach (var (name, type) in NamespaceLinks)
        {
            ulong nsId = group.Container.Namespaces.Of(type);
            ns.Add(name, new ProcSymlink(fs, Ino(), () => Live() is null ? null : $"{type}:[{nsId}]", uid, gid));
        }
        Add("ns", ns);
        // The container's user namespace (identity maps without one), as a reader inside it sees them.
        var users = group.Container.Users;
        Add("uid_map", new ProcFile(fs, Ino(), () => Live() is null ? null : Encoding.ASCII.GetBytes(users.Uids.Format()), 0x1A4, WriteIdMap, uid, gid));
        Add("gid_map", new ProcFile(fs, Ino(), () => Live() is null ? null : Encoding.ASCII.GetBytes(users.Gids.Format()), 0x1A4, WriteIdMap, uid, gid));
        Add("setgroups", new ProcFile(fs, Ino(), () => Live() is null ? null : Encoding.ASCII.GetBytes(users.Setgroups), 0x1A4, WriteSetgroups, uid, gid));
    }

    /// <summary>map_write: a namespace's map is written once, and every one here already is: EPERM.</summary>
    private int WriteIdMap(ReadOnlySpan<byte> data) => Live() is null ? -Errno.ESRCH : -Errno.EPERM;

    /// <summary>proc_setgroups_write: "allow" keeps it so; "deny" once gid_map is written is EPERM; anything else EINVAL.</summary>
    private int WriteSetgroups(ReadOnlySpan<byte> data)
    {
        if (Live() is null) return -Errno.ESRCH;
        // proc_setgroups_open: writing needs CAP_SYS_ADMIN in the namespace.
        if (Kernel.Task.Current is not { } writer || !Kernel.Capabilities.Has(writer, Kernel.Capabilities.SYS_ADMIN)) return -Errno.EPERM;
        var text = Encoding.ASCII.GetString(data).TrimEnd('\n');
        return text switch
        {
            "allow" => data.Length,
            "deny" => -Errno.EPERM,
            _ => -Errno.EINVAL,
        };
    }

    /// <summary>/proc/PID/ns entries and the namespace type each names.</summary>
    private static readonly (string Name, string Type)[] NamespaceLinks =
    [
        ("cgroup", "cgroup"), ("ipc", "ipc"), ("mnt", "mnt"), ("net", "net"), ("pid", "pid"), ("pid_for_children", "pid"),
        ("time", "time"), ("time_for_children", "time"), ("user", "user"), ("uts", "uts"),
    ];

    public ThreadGroup Group => _group;

    /// <summary>The task whose view this directory shows, or null once the process is gone.</summary>
    public Task? Live()
    {
        if (_thread is not null)
            return Fs.Kernel.Pids.TaskById(_thread.Tid) is not null || _group.Zombie ? _thread : null;
        if (Fs.Kernel.Pids.GroupById(_group.Tgid) != _group) return null;
        var tasks = _group.TasksSnapshot();
        return tasks.Length > 0 ? tasks[0] : _group.Leader;
    }

    internal static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    public override int Rename(string oldName, Inode newParent, string newName) => -Errno.EACCES;
    /// <summary>
    /// __set_oom_adj: an integer in [-1000, 1000] (EINVAL otherwise); below the process's
    /// oom_score_adj_min only with CAP_SYS_RESOURCE (EACCES), and such a write moves the floor.
    /// </summary>
    private int WriteOomScoreAdj(ReadOnlySpan<byte> data)
    {
        if (Live() is null) return -Errno.ESRCH;
        var text = Encoding.ASCII.GetString(data).Trim();
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < -1000 || value > 1000)
            return -Errno.EINVAL;
        var writer = Kernel.Task.Current;
        bool privileged = writer is not null && Kernel.Capabilities.Has(writer, Kernel.Capabilities.SYS_RESOURCE);
        if (value < _group.OomScoreAdjMin && !privileged) return -Errno.EACCES;
        _group.OomScoreAdj = value;
        if (privileged) _group.OomScoreAdjMin = value;
        return data.Length;
    }
}
