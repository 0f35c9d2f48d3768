namespace Csrunsc.Tests.Differential;

/// <summary>Where things are in the repository the tests were built from.</summary>
public static class RepositoryLayout
{
    /// <summary>
    /// The directory holding Sandbox.sln, found by walking up from the test assembly
    /// ($CSRUNSC_REPO_ROOT overrides, for a test assembly built outside the tree).
    /// </summary>
    public static string Root { get; } = FindRoot();

    public static string AssetsDir => Path.Join(Root, "tests", "assets");
    public static string ProgramsDir => Path.Join(Root, "tests", "progs");

    /// <summary>The csrunsc binary under test: $CSRUNSC_BIN, else &lt;repo&gt;/out/csrunsc.</summary>
    public static string CsrunscBinary =>
        Environment.GetEnvironmentVariable("CSRUNSC_BIN") is { Length: > 0 } fromEnvironment
            ? Path.GetFullPath(fromEnvironment)
            : Path.Join(Root, "out", "csrunsc");

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("CSRUNSC_REPO_ROOT") is { Length: > 0 } overridden)
        {
            return Path.GetFullPath(overridden);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Join(dir.FullName, "Sandbox.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Sandbox.sln not found above {AppContext.BaseDirectory}");
    }
}
