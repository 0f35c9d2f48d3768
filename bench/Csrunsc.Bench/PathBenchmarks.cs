using BenchmarkDotNet.Attributes;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Bench;

/// <summary>Guest path resolution on tmpfs (no gofer): a 5-component absolute path, and through a symlink.</summary>
[MemoryDiagnoser]
public class PathBenchmarks
{
    private const int AtFdcwd = -100;
    private SentryFixture _f = null!;

    [GlobalSetup]
    public void Setup()
    {
        _f = new SentryFixture();
        _f.Fs.AddFile("/usr/lib/x86_64-linux-gnu/libc/file.so", "x"u8);
    }

    [GlobalCleanup]
    public void Cleanup() => _f.Dispose();

    [Benchmark(Description = "PathResolver.Resolve 5 components")]
    public int Resolve5()
    {
        int r = PathResolver.Resolve(_f.Task, AtFdcwd, "/usr/lib/x86_64-linux-gnu/libc/file.so", true, out var result);
        return r < 0 ? r : result is null ? -1 : 0;
    }

    [Benchmark(Description = "PathResolver.Resolve 1 component")]
    public int Resolve1()
    {
        int r = PathResolver.Resolve(_f.Task, AtFdcwd, "/usr", true, out var result);
        return r < 0 ? r : result is null ? -1 : 0;
    }
}
