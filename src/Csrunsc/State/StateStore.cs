using System.Runtime.InteropServices;
using System.Text.Json;
using Csrunsc.Native;

namespace Csrunsc.State;

/// <summary>
/// The state root (--root, default /run/csrunsc): one directory per container holding state.json,
/// the sandbox's control socket and its chroot. Commands on one container serialize on an flock of
/// its directory; state.json is replaced by rename, never half-written.
/// </summary>
public sealed class StateStore(string root)
{
    public string Root { get; } = root;

    public string Dir(string id) => Path.Combine(Root, id);
    public string ControlSocket(string id) => Path.Combine(Dir(id), "control.sock");
    public string SandboxDir(string id) => Path.Combine(Dir(id), "sandbox");

    /// <summary>Container ids as runc accepts them.</summary>
    public static bool ValidId(string id) =>
        id.Length > 0 && id.Length <= 1024 && id != "." && id != ".." &&
        id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '-' or '.');

    public bool Exists(string id) => File.Exists(Path.Combine(Dir(id), "state.json"));

    /// <summary>Claims a new container directory; false if the id is taken.</summary>
    public bool TryCreate(string id)
    {
        Directory.CreateDirectory(Root);
        try
        {
            // mkdir is the atomic claim: a concurrent create of the same id fails here.
            byte[] p = Libc.CString(Dir(id));
            unsafe
            {
                fixed (byte* pp = p)
                {
                    if (Mkdir(pp, 0x1C0) < 0) return false;
                }
            }
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mkdir", SetLastError = true)]
    private static extern unsafe int Mkdir(byte* path, int mode);

    /// <summary>Holds an exclusive lock on a container until disposed.</summary>
    public IDisposable Lock(string id)
    {
        int fd = Libc.OpenPath(Dir(id), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd >= 0)
        {
            while (Flock(fd, 2 /*LOCK_EX*/) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
        }
        return new FdLock(fd);
    }

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int op);

    private sealed class FdLock(int fd) : IDisposable
    {
        public void Dispose()
        {
            if (fd >= 0) Libc.Close(fd);
        }
    }

    public ContainerState? Load(string id)
    {
        try
        {
            string json = File.ReadAllText(Path.Combine(Dir(id), "state.json"));
            return JsonSerializer.Deserialize(json, StateJsonContext.Default.ContainerState);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Save(ContainerState state)
    {
        string dir = Dir(state.Id);
        string tmp = Path.Combine(dir, ".state.json.tmp");
        File.WriteAllText(tmp, JsonSerializer.Serialize(state, StateJsonContext.Default.ContainerState));
        File.Move(tmp, Path.Combine(dir, "state.json"), overwrite: true);
    }

    public void Remove(string id)
    {
        try { Directory.Delete(Dir(id), recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public IEnumerable<string> Ids()
    {
        if (!Directory.Exists(Root)) return [];
        return Directory.EnumerateDirectories(Root).Select(Path.GetFileName).Where(n => n is not null && Exists(n!)).Order()!;
    }

    /// <summary>The status now: the recorded one while the sandbox lives, else stopped.</summary>
    public static string CurrentStatus(ContainerState s) => SandboxProcess.IsAlive(s.Pid, s.PidStartTime) ? s.Status : "stopped";
}
