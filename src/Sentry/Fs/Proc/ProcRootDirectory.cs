using System.Globalization;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using KernelState = Csrunsc.Sentry.Kernel.Kernel;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>/proc itself: the system-wide files, self and thread-self, and one directory per process.</summary>
public sealed class ProcRootDirectory : ProcDirectory
{
    public ProcRootDirectory(ProcFileSystem fs) : base(fs, 1)
    {
        var k = fs.Kernel;
        Add("self", new ProcSymlink(fs, fs.NextIno(), () => Kernel.Task.Current is { } t ? Str(t.ThreadGroup.Tgid) : null));
        Add("thread-self", new ProcSymlink(fs, fs.NextIno(),
            () => Kernel.Task.Current is { } t ? $"{Str(t.ThreadGroup.Tgid)}/task/{Str(t.Tid)}" : null));
        Add("mounts", new ProcSymlink(fs, fs.NextIno(), () => "self/mounts"));
        Add("net", new ProcSymlink(fs, fs.NextIno(), () => "self/net"));
        Add("meminfo", Text(fs, () => ProcSystemContent.Meminfo(fs)));
        Add("vmstat", Text(fs, () => k.MemoryAccounting.Vmstat()));
        Add("cpuinfo", Text(fs, () => fs.HostCpuinfo));
        Add("uptime", Text(fs, () => ProcSystemContent.Uptime(fs)));
        Add("loadavg", Text(fs, () => ProcSystemContent.Loadavg(fs)));
        Add("stat", Text(fs, () => ProcSystemContent.Stat(fs)));
        Add("version", Text(fs, ProcSystemContent.VersionLine));
        Add("filesystems", Text(fs, ProcSystemContent.Filesystems));
        Add("cmdline", Text(fs, () => "BOOT_IMAGE=/vmlinuz-" + KernelState.Release + " console=ttyS0\n"));
        Add("swaps", Text(fs, () => "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"));
        Add("devices", Text(fs, () => "Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n136 pts\n\nBlock devices:\n"));

        var sys = new ProcDirectory(fs, fs.NextIno());
        Add("sys", sys);
        var kernel = Dir(fs, sys, "kernel");
        kernel.Add("hostname", new ProcFile(fs, fs.NextIno(), () => Bytes(k.Hostname + "\n"), 0x1A4, data =>
        {
            string name = Encoding.UTF8.GetString(data).TrimEnd('\n', '\0');
            if (name.Length > 64) return -Errno.EINVAL;
            k.Hostname = name;
            return data.Length;
        }));
        kernel.Add("domainname", Text(fs, () => k.Domainname));
        kernel.Add("ostype", Text(fs, () => "Linux"));
        kernel.Add("osrelease", Text(fs, () => KernelState.Release));
        kernel.Add("version", Text(fs, () => KernelState.Version));
        kernel.Add("pid_max", Text(fs, () => Str(Kernel.PidNamespace.PidMax)));
        kernel.Add("threads-max", Text(fs, () => "257004"));
        kernel.Add("ngroups_max", Text(fs, () => "65536"));
        kernel.Add("cap_last_cap", Text(fs, () => "40"));
        // What an id without a mapping in a user namespace shows as (Kernel.IdMap.Overflow).
        kernel.Add("overflowuid", Text(fs, () => Str((int)Kernel.IdMap.Overflow)));
        kernel.Add("overflowgid", Text(fs, () => Str((int)Kernel.IdMap.Overflow)));
        // The reader's IPC namespace, as Linux shows it.
        Kernel.Ipc.IpcNamespace Ipc() => Kernel.Task.Current?.IpcNs ?? k.Ipc;
        kernel.Add("shmmax", Text(fs, () => Ipc().ShmMax.ToString(CultureInfo.InvariantCulture)));
        kernel.Add("shmall", Text(fs, () => Ipc().ShmAll.ToString(CultureInfo.InvariantCulture)));
        kernel.Add("shmmni", Text(fs, () => Str(Ipc().Shm.Mni)));
        kernel.Add("shm_rmid_forced", Text(fs, () => "0"));
        kernel.Add("sem", Text(fs, () => ProcSysvipcContent.SemLimits(Ipc())));
        kernel.Add("msgmax", Text(fs, () => Str(Ipc().MsgMax)));
        kernel.Add("msgmnb", Text(fs, () => Str(Ipc().MsgMnb)));
        kernel.Add("msgmni", Text(fs, () => Str(Ipc().Msg.Mni)));
        foreach (var next in new[] { "msg_next_id", "sem_next_id", "shm_next_id" }) kernel.Add(next, Text(fs, () => "-1"));
        var sysvipc = new ProcDirectory(fs, fs.NextIno());
        Add("sysvipc", sysvipc);
        sysvipc.Add("shm", Text(fs, () => ProcSysvipcContent.Shm(Ipc())));
        sysvipc.Add("sem", Text(fs, () => ProcSysvipcContent.Sem(Ipc())));
        sysvipc.Add("msg", Text(fs, () => ProcSysvipcContent.Msg(Ipc())));
        // Yama scope 1 is what the Sentry enforces (Kernel/Ptrace: descendants or PR_SET_PTRACER).
        var yama = Dir(fs, kernel, "yama");
        yama.Add("ptrace_scope", Text(fs, () => "1"));
        var random = Dir(fs, kernel, "random");
        random.Add("boot_id", Text(fs, () => fs.BootId));
        random.Add("uuid", Text(fs, () => Guid.NewGuid().ToString()));
        random.Add("entropy_avail", Text(fs, () => "256"));
        var vm = Dir(fs, sys, "vm");
        vm.Add("overcommit_memory", Text(fs, () => "0"));
        vm.Add("max_map_count", Text(fs, () => "65530"));
        vm.Add("mmap_min_addr", Text(fs, () => "65536"));
        var fsDir = Dir(fs, sys, "fs");
        fsDir.Add("file-max", Text(fs, () => "9223372036854775807"));
        fsDir.Add("nr_open", Text(fs, () => "1048576"));
        var inotify = Dir(fs, fsDir, "inotify");
        inotify.Add("max_queued_events", Text(fs, () => Str(Vfs.Inotify.Fsnotify.MaxQueuedEvents)));
        inotify.Add("max_user_instances", Text(fs, () => Str(Vfs.Inotify.Fsnotify.MaxUserInstances)));
        inotify.Add("max_user_watches", Text(fs, () => Str(Vfs.Inotify.Fsnotify.MaxUserWatches)));
        var mqueue = Dir(fs, fsDir, "mqueue");
        mqueue.Add("queues_max", Text(fs, () => Str(Ipc().Mqueue.QueuesMax)));
        mqueue.Add("msg_max", Text(fs, () => Str(Ipc().Mqueue.MsgMax)));
        mqueue.Add("msgsize_max", Text(fs, () => Str(Ipc().Mqueue.MsgSizeMax)));
        mqueue.Add("msg_default", Text(fs, () => Str(Ipc().Mqueue.MsgDefault)));
        mqueue.Add("msgsize_default", Text(fs, () => Str(Ipc().Mqueue.MsgSizeDefault)));
        if (k.Network is { } network)
        {
            // The guest's network namespace's own values (writes need CAP_NET_ADMIN, as for a container's root).
            sys.Add("net", new ProcMirrorDirectory(fs, network, "sys/net", Kernel.Capabilities.NET_ADMIN));
        }
        else
        {
            var net = Dir(fs, sys, "net");
            Dir(fs, net, "core").Add("somaxconn", Text(fs, () => "4096"));
        }
    }

    protected override int LookupDynamic(string name, out Inode? child)
    {
        child = null;
        if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || Str(pid) != name)
            return -Errno.ENOENT;
        var group = Fs.Kernel.Pids.GroupById(pid);
        if (group is null)
        {
            // A thread id also resolves (Linux lists only thread groups, but /proc/<tid> works).
            var task = Fs.Kernel.Pids.TaskById(pid);
            if (task is null) return -Errno.ENOENT;
            child = new ProcPidDirectory(Fs, task.ThreadGroup, task);
            return 0;
        }
        child = new ProcPidDirectory(Fs, group, null);
        return 0;
    }

    protected override int ReadDirDynamic(List<DirEntry> into)
    {
        var groups = Fs.Kernel.Pids.Groups();
        Array.Sort(groups, (a, b) => a.Tgid.CompareTo(b.Tgid));
        foreach (var g in groups)
            into.Add(new DirEntry(Str(g.Tgid), ProcInodeNumber.Make(ProcInodeNumber.PidKind, g.Tgid, 0), FileMode.DirentType(FileMode.Directory)));
        return 0;
    }

    private static ProcDirectory Dir(ProcFileSystem fs, ProcDirectory parent, string name)
    {
        var d = new ProcDirectory(fs, fs.NextIno());
        parent.Add(name, d);
        return d;
    }

    /// <summary>A read-only file of one line of text (a newline is added when missing).</summary>
    private static ProcFile Text(ProcFileSystem fs, Func<string> text) => new(fs, fs.NextIno(), () =>
    {
        string s = text();
        return Bytes(s.Length == 0 || s.EndsWith('\n') ? s : s + "\n");
    });

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);
}
