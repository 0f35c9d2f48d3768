using Csrunsc.Native;

namespace Csrunsc.Sandbox;

/// <summary>The runtime side of the sandbox's control socket: one request line, one reply line.</summary>
public static class ControlClient
{
    /// <summary>Sends a request; reply is the text after "ok" (or the error message). False if it failed.</summary>
    public static bool Request(string socketPath, string request, out string reply, ReadOnlySpan<int> fds = default)
    {
        int fd = UnixSocket.Connect(socketPath);
        if (fd < 0)
        {
            reply = "the sandbox is not reachable: " + Errno.Name(-fd);
            return false;
        }
        try
        {
            return Exchange(fd, request, out reply, fds);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>A request on an already connected socket (exec keeps it open for the exit status).</summary>
    public static bool Exchange(int fd, string request, out string reply, ReadOnlySpan<int> fds = default)
    {
        if (UnixSocket.SendLine(fd, request, fds) < 0 || !UnixSocket.ReadLine(fd, out string line))
        {
            reply = "the sandbox closed the control connection";
            return false;
        }
        if (line == "ok" || line.StartsWith("ok ", StringComparison.Ordinal))
        {
            reply = line.Length > 3 ? line[3..] : "";
            return true;
        }
        reply = line.StartsWith("error ", StringComparison.Ordinal) ? line[6..] : line;
        return false;
    }
}
