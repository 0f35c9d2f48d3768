namespace Csrunsc.Native;

/// <summary>Spawns host processes with posix_spawn (never fork from .NET) and waits for them.</summary>
public static unsafe class HostProcess
{
    /// <summary>
    /// Starts path with argv and the current environment. fdMap lists (source fd → target fd); fds
    /// 0-2 are inherited unless mapped, and every fd above the highest target is closed in the child.
    /// Returns the pid or -errno.
    /// </summary>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<(int From, int To)> fdMap, IReadOnlyList<string>? env = null, bool newSession = false)
    {
        byte* fa = stackalloc byte[128];
        byte* attr = stackalloc byte[512];
        Libc.SpawnFileActionsInit(fa);
        Libc.SpawnAttrInit(attr);
        var pinned = new List<byte[]>();
        try
        {
            int maxTarget = 2;
            // dup2 to high temporaries first so mappings may permute fds safely.
            for (int i = 0; i < fdMap.Count; i++) Libc.SpawnFileActionsAddDup2(fa, fdMap[i].From, 1000 + i);
            for (int i = 0; i < fdMap.Count; i++)
            {
                Libc.SpawnFileActionsAddDup2(fa, 1000 + i, fdMap[i].To);
                maxTarget = Math.Max(maxTarget, fdMap[i].To);
            }
            Libc.SpawnFileActionsAddCloseFrom(fa, maxTarget + 1);
            ulong empty = 0, all = ~0UL;
            Libc.SpawnAttrSetSigMask(attr, &empty);
            Libc.SpawnAttrSetSigDefault(attr, &all);
            Libc.SpawnAttrSetFlags(attr, (short)(Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF | (newSession ? Libc.POSIX_SPAWN_SETSID : 0)));

            var environment = env ?? Environment.GetEnvironmentVariables().Keys.Cast<string>()
                .Select(k => k + "=" + Environment.GetEnvironmentVariable(k)).ToList();
            byte** argvp = stackalloc byte*[argv.Count + 1];
            byte** envp = stackalloc byte*[environment.Count + 1];
            var handles = new List<System.Runtime.InteropServices.GCHandle>();
            try
            {
                for (int i = 0; i < argv.Count; i++) argvp[i] = Pin(argv[i], handles);
                argvp[argv.Count] = null;
                for (int i = 0; i < environment.Count; i++) envp[i] = Pin(environment[i], handles);
                envp[environment.Count] = null;
                int pid;
                int err = Libc.PosixSpawn(&pid, Pin(path, handles), fa, attr, argvp, envp);
                return err != 0 ? -err : pid;
            }
            finally
            {
                foreach (var h in handles) h.Free();
            }
        }
        finally
        {
            Libc.SpawnFileActionsDestroy(fa);
            Libc.SpawnAttrDestroy(attr);
            GC.KeepAlive(pinned);
        }
    }

    private static byte* Pin(string s, List<System.Runtime.InteropServices.GCHandle> handles)
    {
        var b = Libc.CString(s);
        var h = System.Runtime.InteropServices.GCHandle.Alloc(b, System.Runtime.InteropServices.GCHandleType.Pinned);
        handles.Add(h);
        return (byte*)h.AddrOfPinnedObject();
    }

    /// <summary>Waits for a child; returns its wait status, or -errno.</summary>
    public static int Wait(int pid)
    {
        int r = Libc.WaitPidRetry(pid, out int status, 0);
        return r < 0 ? -Libc.LastErrno : status;
    }

    /// <summary>A pipe (both ends close-on-exec).</summary>
    public static int Pipe(out int readEnd, out int writeEnd)
    {
        int* p = stackalloc int[2];
        int r = Libc.Pipe2(p, Libc.O_CLOEXEC);
        readEnd = p[0];
        writeEnd = p[1];
        return r < 0 ? -Libc.LastErrno : 0;
    }

    /// <summary>Reads everything until EOF as UTF-8.</summary>
    public static string ReadAll(int fd)
    {
        var ms = new MemoryStream();
        byte* buf = stackalloc byte[4096];
        while (true)
        {
            nint n = Libc.Read(fd, buf, 4096);
            if (n < 0 && Libc.LastErrno == Errno.EINTR) continue;
            if (n <= 0) break;
            ms.Write(new ReadOnlySpan<byte>(buf, (int)n));
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>A socketpair (AF_UNIX, SOCK_STREAM, close-on-exec).</summary>
    public static int SocketPair(out int a, out int b)
    {
        int* sv = stackalloc int[2];
        int r = Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, sv);
        a = sv[0];
        b = sv[1];
        return r < 0 ? -Libc.LastErrno : 0;
    }
}
