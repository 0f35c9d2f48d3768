using System.Reflection;
using BenchmarkDotNet.Attributes;
using Csrunsc.Gofer;
using Csrunsc.Gofer.Server;
using Csrunsc.Native;

namespace Csrunsc.Bench;

/// <summary>
/// Gofer round trips: the server (GoferServer.Serve, unconfined) on a thread, the client over a
/// SOCK_STREAM socketpair, as tests/Csrunsc.Tests/Gofer/GoferTestHost.cs does. Walk answers a new
/// fid, so each Walk op is followed by a Close (two round trips); Stat is one.
/// </summary>
[MemoryDiagnoser]
public unsafe class GoferBenchmarks
{
    private string _dir = null!;
    private GoferRoots _roots = null!;
    private GoferClient _client = null!;
    private Thread _server = null!;
    private int _serverSocket;
    private uint _rootFid;
    private uint _fileFid;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "csrunsc-bench-gofer-" + Environment.ProcessId);
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "file"), "x");
        if (GoferRoots.Open(_dir, [], false, out var roots, out string? error) < 0) throw new InvalidOperationException(error);
        _roots = roots!;
        int* sv = stackalloc int[2];
        if (Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, sv) != 0) throw new InvalidOperationException("socketpair");
        _serverSocket = sv[1];
        _client = new GoferClient(sv[0]);
        // GoferServer.Serve (serve without confinement) is internal to the Gofer assembly, visible to its tests only.
        var serve = typeof(GoferServer).GetMethod("Serve", BindingFlags.Static | BindingFlags.NonPublic)!
            .CreateDelegate<Func<int, GoferRoots, int>>();
        int socket = _serverSocket;
        _server = new Thread(() => serve(socket, _roots)) { IsBackground = true, Name = "gofer" };
        _server.Start();
        Check(_client.Attach(0, out _rootFid, out _));
        Check(_client.Walk(_rootFid, "file", out _fileFid, out _));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.Join(5000);
        Libc.Close(_serverSocket);
        _roots.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Description = "gofer Walk + Close")]
    public int WalkClose()
    {
        int r = _client.Walk(_rootFid, "file", out uint fid, out _);
        if (r < 0) return r;
        return _client.Close(fid);
    }

    [Benchmark(Description = "gofer Stat")]
    public int Stat() => _client.Stat(_fileFid, out _);

    private static void Check(int r)
    {
        if (r < 0) throw new InvalidOperationException("gofer call failed: " + r);
    }
}
