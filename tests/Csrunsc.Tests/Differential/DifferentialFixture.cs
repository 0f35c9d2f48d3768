namespace Csrunsc.Tests.Differential;

/// <summary>
/// Built once per test run: a scratch directory, a busybox rootfs template with the test
/// programs (tests/progs/*.c, compiled with gcc -static) in /bin, and a state root per runtime.
/// Every container gets its own bundle with a fresh copy of the template (see <see cref="ContainerRunner"/>).
/// </summary>
public sealed class DifferentialFixture : IDisposable
{
    /// <summary>Programs from tests/progs compiled into the template's /bin (name without .c): every tests/progs/*.c.</summary>
    public static string[] TestPrograms =>
        Directory.GetFiles(RepositoryLayout.ProgramsDir, "*.c").Select(Path.GetFileNameWithoutExtension).Order().ToArray()!;

    private readonly Lazy<string> _templateRootfs;

    public DifferentialFixture()
    {
        ScratchDir = Directory.CreateTempSubdirectory("csrunsc-tests-").FullName;
        _templateRootfs = new Lazy<string>(BuildTemplateRootfs, LazyThreadSafetyMode.ExecutionAndPublication);
        Runner = new ContainerRunner(this);
    }

    public string ScratchDir { get; }

    /// <summary>The rootfs every bundle copies; built on first use so that skipped runs cost nothing.</summary>
    public string TemplateRootfs => _templateRootfs.Value;

    public ContainerRunner Runner { get; }

    /// <summary>The --root state directory given to <paramref name="runtime"/>: one per runtime per run.</summary>
    public string StateRootFor(string runtime)
    {
        var dir = Path.Join(ScratchDir, "state-" + Path.GetFileName(runtime));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(ScratchDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A container that could not be deleted keeps its rootfs busy; leave it for inspection.
        }
    }

    private string BuildTemplateRootfs()
    {
        foreach (var tool in new[] { "runc", "gcc" })
        {
            if (!HostCommand.IsOnPath(tool))
            {
                throw new InvalidOperationException(
                    $"{tool} is not installed; run ./test.sh (it installs runc busybox-static gcc libc6-dev)");
            }
        }

        var rootfs = Path.Join(ScratchDir, "rootfs-template");
        HostCommand.Run("bash", Path.Join(RepositoryLayout.AssetsDir, "make-busybox-rootfs.sh"), rootfs);
        foreach (var program in TestPrograms)
        {
            HostCommand.Run(
                "gcc", "-static", "-O1", "-Wall", "-pthread", "-o", Path.Join(rootfs, "bin", program),
                Path.Join(RepositoryLayout.ProgramsDir, program + ".c"));
        }

        return rootfs;
    }
}
