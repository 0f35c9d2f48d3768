using System.Runtime.InteropServices;
using Csrunsc.Gofer;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Dev;
using Csrunsc.Sentry.Fs.Gofer;
using Csrunsc.Sentry.Fs.Host;
using Csrunsc.Sentry.Fs.Proc;
using Csrunsc.Sentry.Fs.Sys;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Platform.Ptrace;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Boot;

/// <summary>
/// The sandbox process's main: builds the kernel (memory file, platform, mounts), confines the
/// Sentry, starts the container's init and waits for it. Returns the exit code (128+N for a signal).
/// </summary>
public static class SandboxRunner
{
    /// <summary>Exit code when the container process cannot be started (as runc).</summary>
    public const int StartFailure = 1;

    private static readonly bool s_traceBoot = Environment.GetEnvironmentVariable("CSRUNSC_TRACE_BOOT") == "1";

    private static void Trace(string what)
    {
        if (s_traceBoot) Libc.WriteString(2, "csrunsc boot: " + what + "\n");
    }

    public static int Run(SandboxOptions options, int goferFd)
    {
        var events = new SyscallEventLog(options.EventFd, options.Strace);
        Trace("start");
        string cpuinfo = ReadHostFile("/proc/cpuinfo"), meminfo = ReadHostFile("/proc/meminfo");

        var memoryFile = new MemoryFile();
        var image = new StubImage();
        string stubPath = Path.Combine(options.SandboxDir, "stub");
        PtracePlatform.InstallStub(stubPath, image);
        if (options.Confine)
        {
            int r = Confine(options.SandboxDir);
            if (r < 0)
            {
                events.Write($"csrunsc: cannot confine the sandbox: {Errno.Name(-r)}\n");
                return StartFailure;
            }
            stubPath = "/stub";
        }
        var platform = new PtracePlatform(stubPath, memoryFile.Fd, image);
        Trace("platform ready, stub at " + stubPath);

        var mounts = new MountTable();
        var kernel = new Kernel.Kernel(platform, memoryFile, mounts, events)
        {
            Hostname = options.Hostname,
            Gofer = new GoferClient(goferFd),
        };
        var rootFs = new GoferFileSystem(kernel.Gofer, 0, options.RootReadOnly);
        mounts.Add(new Mount("/", rootFs, rootFs.Root, options.RootReadOnly, "rootfs", options.RootReadOnly ? "ro" : "rw"));
        foreach (var m in options.Mounts)
        {
            var fs = MakeFileSystem(kernel, m, cpuinfo, meminfo);
            if (fs is null)
            {
                events.Write($"csrunsc: mount of type {m.Type} at {m.Destination} is not supported; skipped\n");
                continue;
            }
            mounts.Add(new Mount(NormalizePath(m.Destination), fs, fs.Root, m.ReadOnly || fs.ReadOnly, m.Source, m.Options));
        }

        Trace("mounts ready");
        var init = StartInit(kernel, options);
        Trace("init started: " + (init is not null));
        if (init is null) return StartFailure;

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; kernel.SignalInitFromHost(Libc.SIGTERM); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; kernel.SignalInitFromHost(Libc.SIGINT); });
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; kernel.SignalInitFromHost(Libc.SIGHUP); });
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => { c.Cancel = true; kernel.SignalInitFromHost(Libc.SIGQUIT); });

        kernel.InitExited.Wait();
        Trace("init exited with status " + kernel.InitExitStatus);
        // Let the other tasks die (init's exit killed them) so their stubs are reaped.
        for (int i = 0; i < 200 && Volatile.Read(ref kernel.LiveTasks) > 0; i++) Thread.Sleep(10);
        return Libc.ExitCodeOf(kernel.InitExitStatus);
    }

    private static Task? StartInit(Kernel.Kernel kernel, SandboxOptions options)
    {
        var creds = Credentials.Of(options.Uid, options.Gid, options.AdditionalGids);
        var root = new VfsPath(kernel.Mounts.Root, kernel.Mounts.Root.Root, null, "");
        var fsContext = new FsContext(root, root, options.Umask);
        var group = new ThreadGroup(kernel, 1, null, new SignalHandlers(), creds) { Pgid = 1, Sid = 1, Comm = "init" };
        foreach (var (res, soft, hard) in options.Rlimits) group.Rlimits[res] = (soft, hard);
        var fds = new FdTable();
        for (int fd = 0; fd <= 2; fd++) fds.Set(fd, new HostFileDescription(fd, Libc.O_RDWR, ownsFd: false), false);
        var mm = new MemoryManager(kernel.MemoryFile, kernel.Platform.MinUserAddress, kernel.Platform.MaxUserAddress);
        var task = new Task(kernel, group, 1, mm, fds, fsContext);
        kernel.Pids.Allocate();
        kernel.Pids.AddTask(task);
        kernel.Pids.AddGroup(group);
        group.AddTask(task);
        kernel.Init = group;

        string? startError = null;
        var started = new ManualResetEventSlim(false);
        task.Start(t =>
        {
            int r = InitialExec(t, options, out startError);
            started.Set();
            return r;
        });
        started.Wait();
        if (startError is not null)
        {
            Libc.WriteString(2, startError + "\n");
            kernel.InitExited.Wait();
            return null;
        }
        return task;
    }

    /// <summary>On init's thread: chdir to cwd and exec args[0], searched in $PATH like runc.</summary>
    private static int InitialExec(Task t, SandboxOptions options, out string? error)
    {
        error = null;
        int r = PathResolver.Resolve(t, Libc.AT_FDCWD, options.Cwd, true, out VfsPath? cwd);
        if (r < 0)
        {
            error = $"csrunsc: chdir to cwd (\"{options.Cwd}\") set in config.json failed: {Describe(r)}";
            return r;
        }
        t.Fs.Cwd = cwd!;
        string arg0 = options.Args[0];
        var candidates = new List<string>();
        if (arg0.Contains('/')) candidates.Add(arg0);
        else
        {
            string path = options.Env.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries)) candidates.Add(dir.TrimEnd('/') + "/" + arg0);
        }
        long last = -Errno.ENOENT;
        foreach (var c in candidates)
        {
            last = t.Exec(Libc.AT_FDCWD, c, options.Args, options.Env);
            if (last == Syscalls.SyscallTable.NoReturn) return 0;
            if (last != -Errno.ENOENT && last != -Errno.ENOTDIR && arg0.Contains('/')) break;
            if (last != -Errno.ENOENT && last != -Errno.ENOTDIR) break;
        }
        error = last == -Errno.ENOENT && !arg0.Contains('/')
            ? $"csrunsc: exec: \"{arg0}\": executable file not found in $PATH"
            : $"csrunsc: exec: \"{arg0}\": {Describe((int)last)}";
        return (int)last;
    }

    private static string Describe(int err) => -err switch
    {
        Errno.ENOENT => "no such file or directory",
        Errno.EACCES => "permission denied",
        Errno.ENOEXEC => "exec format error",
        Errno.ENOTDIR => "not a directory",
        Errno.ELOOP => "too many levels of symbolic links",
        _ => Errno.Name(-err),
    };

    private static FileSystem? MakeFileSystem(Kernel.Kernel kernel, SandboxMount m, string cpuinfo, string meminfo) => m.Type switch
    {
        "proc" => new ProcFileSystem(kernel, cpuinfo, meminfo),
        "sysfs" => SysFileSystem.Create(Environment.ProcessorCount),
        "bind" => new GoferFileSystem(kernel.Gofer!, m.GoferAttachIndex, m.ReadOnly),
        "tmpfs" when NormalizePath(m.Destination) == "/dev" => DevFileSystem.Create(),
        "tmpfs" when NormalizePath(m.Destination) == "/dev/shm" => DevFileSystem.CreateShm(),
        "devpts" => DevFileSystem.CreateDevPts(),
        "mqueue" => DevFileSystem.CreateMqueue(),
        "cgroup" or "cgroup2" => SysFileSystem.CreateCgroup(),
        "tmpfs" or "shm" => new TmpfsFileSystem("tmpfs", m.ReadOnly),
        _ => null,
    };

    public static string NormalizePath(string p)
    {
        var parts = p.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return "/" + string.Join('/', parts);
    }

    private static string ReadHostFile(string path)
    {
        try { return File.ReadAllText(path); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; }
    }

    private static unsafe int Confine(string dir)
    {
        byte[] d = Libc.CString(dir);
        byte* root = stackalloc byte[] { (byte)'/', 0 };
        fixed (byte* p = d)
        {
            if (Libc.Chroot(p) < 0) return -Libc.LastErrno;
        }
        if (Libc.Chdir(root) < 0) return -Libc.LastErrno;
        Libc.Prctl(Libc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        return 0;
    }
}
