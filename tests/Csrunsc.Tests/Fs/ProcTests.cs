using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Proc;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Xunit;

namespace Csrunsc.Tests.Fs;

public class ProcTests
{
    private static Inode Walk(Inode root, string path)
    {
        var cur = root;
        foreach (var name in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Equal(0, cur.Lookup(name, out Inode? next));
            cur = next!;
        }
        return cur;
    }

    private static string ReadAll(Inode node)
    {
        Assert.Equal(0, node.Open(Libc.O_RDONLY, out FileDescription? f));
        var ms = new MemoryStream();
        var buf = new byte[7];
        long n;
        while ((n = f!.Read(null!, buf, -1)) > 0) ms.Write(buf, 0, (int)n);
        Assert.Equal(0, n);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static (ProcFileSystem Proc, Kernel Kernel) NewProc()
    {
        var kernel = FsTestTasks.NewKernel();
        var tmp = new TmpfsFileSystem();
        kernel.Mounts.Add(new Mount("/", tmp, tmp.Root, false, "rootfs", "rw"));
        var proc = new ProcFileSystem(kernel, "processor\t: 0\n");
        kernel.Mounts.Add(new Mount("/proc", proc, proc.Root, false, "proc", "rw,nosuid,nodev,noexec"));
        kernel.Mounts.Add(new Mount("/dev/my dir", tmp, tmp.Root, true, "tmpfs", ""));
        return (proc, kernel);
    }

    [Fact]
    public void VersionAndSysctls()
    {
        var (proc, kernel) = NewProc();
        Assert.StartsWith("Linux version 5.15.0-csrunsc ", ReadAll(Walk(proc.Root, "version")));
        Assert.Equal("Linux\n", ReadAll(Walk(proc.Root, "sys/kernel/ostype")));
        Assert.Equal(Kernel.Release + "\n", ReadAll(Walk(proc.Root, "sys/kernel/osrelease")));
        Assert.Equal("csrunsc\n", ReadAll(Walk(proc.Root, "sys/kernel/hostname")));
        Assert.Equal("40\n", ReadAll(Walk(proc.Root, "sys/kernel/cap_last_cap")));
        Assert.Equal("processor\t: 0\n", ReadAll(Walk(proc.Root, "cpuinfo")));
        Assert.Contains("MemTotal:", ReadAll(Walk(proc.Root, "meminfo")));
        Assert.Matches(@"^\d+\.\d\d \d+\.\d\d\n$", ReadAll(Walk(proc.Root, "uptime")));
        Assert.Equal(-Errno.EACCES, Walk(proc.Root, "version").Open(Libc.O_WRONLY, out _));
        Assert.Equal(-Errno.EACCES, proc.Root.Mkdir("x", 0x1ED, 0, 0));

        Assert.Equal(0, Walk(proc.Root, "sys/kernel/hostname").Open(Libc.O_WRONLY, out FileDescription? w));
        Assert.Equal(5, w!.Write(null!, "box1\n"u8, -1));
        Assert.Equal("box1", kernel.Hostname);
    }

    [Fact]
    public void PidDirectoriesShowThreadGroups()
    {
        var (proc, kernel) = NewProc();
        var task = FsTestTasks.NewTask(kernel, 1);
        task.ThreadGroup.Comm = "init";
        task.ThreadGroup.Pgid = 1;
        task.ThreadGroup.Sid = 1;
        kernel.Pids.AddGroup(task.ThreadGroup);
        kernel.Pids.AddTask(task);

        var entries = new List<DirEntry>();
        Assert.Equal(0, proc.Root.ReadDir(entries));
        Assert.Contains(entries, e => e.Name == "1" && e.Type == 4);
        Assert.Contains(entries, e => e.Name == "self");

        string stat = ReadAll(Walk(proc.Root, "1/stat"));
        Assert.StartsWith("1 (init) S 0 1 1 0 -1 ", stat);
        Assert.Equal(52, stat.TrimEnd('\n').Split(' ').Length);
        string status = ReadAll(Walk(proc.Root, "1/status"));
        Assert.Contains("Name:\tinit\n", status);
        Assert.Contains("Tgid:\t1\n", status);
        Assert.Contains("PPid:\t0\n", status);
        Assert.Contains("Threads:\t1\n", status);
        Assert.Equal("init\n", ReadAll(Walk(proc.Root, "1/comm")));
        Assert.Equal("", ReadAll(Walk(proc.Root, "1/cmdline")));
        Assert.Equal(0, Walk(proc.Root, "1/task").Lookup("1", out _));
        Assert.Equal(-Errno.ENOENT, proc.Root.Lookup("2", out _));
        Assert.Equal(-Errno.ENOENT, proc.Root.Lookup("01", out _));

        var inode1 = Walk(proc.Root, "1/status");
        kernel.Pids.RemoveGroup(task.ThreadGroup);
        Assert.Equal(-Errno.ESRCH, inode1.Open(Libc.O_RDONLY, out _));
    }

    [Fact]
    public void MountsShape()
    {
        var (proc, kernel) = NewProc();
        var task = FsTestTasks.NewTask(kernel, 7);
        kernel.Pids.AddGroup(task.ThreadGroup);
        string mounts = ReadAll(Walk(proc.Root, "7/mounts"));
        var lines = mounts.TrimEnd('\n').Split('\n');
        Assert.Equal("rootfs / tmpfs rw 0 0", lines[0]);
        Assert.Equal("proc /proc proc rw,nosuid,nodev,noexec 0 0", lines[1]);
        Assert.Equal(@"tmpfs /dev/my\040dir tmpfs ro 0 0", lines[2]);
        var info = ReadAll(Walk(proc.Root, "7/mountinfo")).TrimEnd('\n').Split('\n');
        Assert.Equal(3, info.Length);
        Assert.Matches(@"^20 19 \d+:\d+ / / rw - tmpfs rootfs rw$", info[0]);
        Assert.Matches(@"^21 20 \d+:\d+ / /proc rw,nosuid,nodev,noexec - proc proc rw$", info[1]);
        Assert.Equal(0, proc.Root.Lookup("mounts", out Inode? link));
        Assert.Equal(0, link!.ReadLink(out string? target));
        Assert.Equal("self/mounts", target);
    }

    [Fact]
    public void FdDirectoryListsOpenFiles()
    {
        var (proc, kernel) = NewProc();
        var task = FsTestTasks.NewTask(kernel, 3);
        kernel.Pids.AddGroup(task.ThreadGroup);
        Csrunsc.Sentry.Fs.Pipe.Pipe.Create(out FileDescription r, out FileDescription w, 0);
        Assert.Equal(0, task.Fds.Add(r, false));
        Assert.Equal(1, task.Fds.Add(w, false));
        var fdDir = Walk(proc.Root, "3/fd");
        var entries = new List<DirEntry>();
        Assert.Equal(0, fdDir.ReadDir(entries));
        Assert.Equal(["0", "1"], entries.Select(e => e.Name).ToArray());
        Assert.Equal(0, Walk(fdDir, "0").ReadLink(out string? target));
        r.GetStat(out StatBuf st);
        Assert.Equal($"pipe:[{st.Ino}]", target);
        Assert.StartsWith("pos:\t0\nflags:\t0", ReadAll(Walk(proc.Root, "3/fdinfo/1")));
        Assert.Equal(-Errno.ENOENT, fdDir.Lookup("5", out _));
    }
}
