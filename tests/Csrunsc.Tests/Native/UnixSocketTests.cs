using Csrunsc.Native;
using Xunit;

namespace Csrunsc.Tests.Native;

/// <summary>The control-socket helpers: paths longer than sun_path (108 bytes) still listen and connect.</summary>
public sealed class UnixSocketTests
{
    [Fact]
    public void ListenAndConnectOnAPathLongerThanSunPath()
    {
        string root = Directory.CreateTempSubdirectory("csrunsc-cri-sock-").FullName;
        try
        {
            // Like containerd's CRI layout: ROOT/k8s.io/<64 hex>/control.sock.
            string dir = Path.Join(root, "runtime-csrunsc", "containerd-root", "k8s.io", new string('a', 64));
            Directory.CreateDirectory(dir);
            string path = Path.Join(dir, "control.sock");
            Assert.True(path.Length >= 108, $"the test path should exceed sun_path: {path.Length}");

            int listener = UnixSocket.Listen(path);
            Assert.True(listener >= 0, $"Listen: {Errno.Name(-listener)}");
            Assert.True(File.Exists(path), "the socket node should be at the long path itself");
            int client = UnixSocket.Connect(path);
            Assert.True(client >= 0, $"Connect: {Errno.Name(-client)}");
            int server = UnixSocket.Accept(listener);
            Assert.True(server >= 0, $"Accept: {Errno.Name(-server)}");
            Assert.Equal(0, UnixSocket.SendLine(client, "ping"));
            foreach (int fd in new[] { server, client, listener })
            {
                Libc.Close(fd);
            }

            Assert.Equal(-Errno.ENOENT, UnixSocket.Connect(Path.Join(dir, "missing.sock")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
