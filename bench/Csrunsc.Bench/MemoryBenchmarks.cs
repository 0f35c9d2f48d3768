using BenchmarkDotNet.Attributes;

namespace Csrunsc.Bench;

/// <summary>Copy-in/out between Sentry buffers and guest memory (the Sentry's mapping of the memory file).</summary>
[MemoryDiagnoser]
public class MemoryBenchmarks
{
    private SentryFixture _f = null!;
    private byte[] _buffer = null!;

    [Params(8, 4096, 65536)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _f = new SentryFixture();
        _buffer = new byte[Bytes];
    }

    [GlobalCleanup]
    public void Cleanup() => _f.Dispose();

    [Benchmark(Description = "MemoryManager.CopyIn")]
    public int CopyIn() => _f.Task.Mm.CopyIn(SentryFixture.Base + 64, _buffer);

    [Benchmark(Description = "MemoryManager.CopyOut")]
    public int CopyOut() => _f.Task.Mm.CopyOut(SentryFixture.Base + 64, _buffer);
}
