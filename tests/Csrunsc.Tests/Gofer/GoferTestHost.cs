using Csrunsc.Gofer;
using Csrunsc.Gofer.Server;
using Csrunsc.Native;
using Xunit;

namespace Csrunsc.Tests.Gofer;

/// <summary>A gofer served in-process (no confinement) on a background thread over a socketpair, against a temp directory.</summary>
internal sealed unsafe class GoferTestHost : IDisposable
{
    public string Root { get; }
    public string Outside { get; }
    public GoferClient Client { get; }
    public int ServerSocket { get; }
    public int ServeResult { get; private set; } = int.MinValue;

    private readonly GoferRoots _roots;
    private readonly Thread _thread;

    public GoferTestHost(bool rootReadOnly = false, Func<string, IReadOnlyList<(string, string, bool)>>? binds = null)
    {
        string baseDir = Path.Combine(Path.GetTempPath(), "csrunsc-gofer-" + Guid.NewGuid().ToString("N"));
        Root = Path.Combine(baseDir, "rootfs");
        Outside = Path.Combine(baseDir, "outside");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        var bindList = binds?.Invoke(Outside) ?? [];
        int r = GoferRoots.Open(Root, bindList, rootReadOnly, out var roots, out string? error);
        Assert.True(r == 0, error);
        _roots = roots!;
        int* sv = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, sv));
        ServerSocket = sv[1];
        Client = new GoferClient(sv[0]);
        _thread = new Thread(() => ServeResult = GoferServer.Serve(ServerSocket, _roots)) { IsBackground = true, Name = "gofer" };
        _thread.Start();
    }

    public string HostPath(string relative) => Path.Combine(Root, relative);

    /// <summary>Closes the client's end and waits for the server loop to end.</summary>
    public bool StopAndWait(int timeoutMs = 5000)
    {
        Client.Dispose();
        return _thread.Join(timeoutMs);
    }

    public void Dispose()
    {
        StopAndWait();
        Libc.Close(ServerSocket);
        _roots.Dispose();
        try
        {
            Directory.Delete(Path.GetDirectoryName(Root)!, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Reads all of a host fd from offset 0 (pread, the way the Sentry uses donated fds).</summary>
    public static string ReadAll(int fd)
    {
        var buf = new byte[1 << 16];
        fixed (byte* p = buf)
        {
            nint n = Libc.PRead(fd, p, buf.Length, 0);
            Assert.True(n >= 0, "pread failed: " + Libc.LastErrno);
            return System.Text.Encoding.UTF8.GetString(buf, 0, (int)n);
        }
    }

    public static void WriteAll(int fd, string text) => Assert.True(Libc.WriteAll(fd, System.Text.Encoding.UTF8.GetBytes(text)));
}
