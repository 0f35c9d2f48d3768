using BenchmarkDotNet.Attributes;
using Csrunsc.Sentry.Syscalls;

namespace Csrunsc.Bench;

/// <summary>
/// The Sentry's syscall path without the platform: table lookup + handler, as TaskRunLoop does
/// after a SYSEMU stop. Must allocate 0 bytes per call.
/// </summary>
[MemoryDiagnoser]
public class SyscallBenchmarks
{
    private const int NrGetpid = 39;
    private const int NrGettid = 186;
    private const int NrUmask = 95;
    private SentryFixture _f = null!;
    private SyscallArguments _none;
    private SyscallArguments _umask;

    [GlobalSetup]
    public void Setup()
    {
        _f = new SentryFixture();
        _none = new SyscallArguments(0, 0, 0, 0, 0, 0);
        _umask = new SyscallArguments(0x12, 0, 0, 0, 0, 0);
    }

    [GlobalCleanup]
    public void Cleanup() => _f.Dispose();

    [Benchmark(Description = "dispatch getpid")]
    public long Getpid() => SyscallTable.Get(NrGetpid)!.Handler(_f.Task, in _none);

    [Benchmark(Description = "dispatch gettid")]
    public long Gettid() => SyscallTable.Get(NrGettid)!.Handler(_f.Task, in _none);

    [Benchmark(Description = "dispatch umask")]
    public long Umask() => SyscallTable.Get(NrUmask)!.Handler(_f.Task, in _umask);
}
