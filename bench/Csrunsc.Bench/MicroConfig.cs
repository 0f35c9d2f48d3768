using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Csrunsc.Bench;

/// <summary>
/// The configuration <c>bench/run.sh --micro</c> runs with: MemoryDiagnoser (allocated bytes per
/// operation: the syscall path must allocate 0), and, unless a <c>--job</c> is given on the command
/// line, a short job run in-process (no generated project to build): 1 launch, 3 warm-up and 10
/// measured iterations of 100 ms each, a few seconds a benchmark.
/// Artifacts go to bench/work/micro (ignored by git).
/// </summary>
public static class MicroConfig
{
    public static IConfig Create(string[] args)
    {
        string artifacts = Path.Combine(FindBenchDir(), "work", "micro");
        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.JoinSummary);
        if (!args.Any(a => a == "--job" || a == "-j" || a.StartsWith("--job=", StringComparison.Ordinal)))
        {
            config = config.AddJob(Job.Default
                .WithLaunchCount(1)
                .WithWarmupCount(3)
                .WithIterationCount(10)
                .WithIterationTime(TimeInterval.FromMilliseconds(100))
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithId("QuickInProcess"));
        }
        return config;
    }

    /// <summary>bench/ of the source tree (the directory holding Csrunsc.Bench), or the working directory.</summary>
    private static string FindBenchDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "Csrunsc.Bench")) && File.Exists(Path.Combine(dir.FullName, "run.sh")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
