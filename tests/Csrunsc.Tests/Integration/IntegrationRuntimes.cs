using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// The runtimes the integration tests run against: runc (proves the harness and the
/// components) and csrunsc (the target). $CSRUNSC_INTEGRATION_RUNTIMES selects them
/// (comma-separated, default "runc,csrunsc").
/// </summary>
public static class IntegrationRuntimes
{
    public const string Runc = "runc";
    public const string Csrunsc = "csrunsc";
    public const string SelectionVariable = "CSRUNSC_INTEGRATION_RUNTIMES";

    public static IReadOnlyList<string> Selected { get; } = ReadSelection();

    /// <summary>xunit MemberData: one row per selected runtime.</summary>
    public static TheoryData<string> All
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var runtime in Selected)
            {
                data.Add(runtime);
            }

            return data;
        }
    }

    /// <summary>The real executable: runc from $PATH (/usr/sbin/runc), csrunsc from $CSRUNSC_BIN (default &lt;repo&gt;/out/csrunsc).</summary>
    public static string Executable(string runtime) => runtime switch
    {
        Runc => Shell.Which("runc") ?? "/usr/sbin/runc",
        Csrunsc => RepositoryLayout.CsrunscBinary,
        _ => throw new ArgumentException($"unknown runtime {runtime}", nameof(runtime)),
    };

    private static List<string> ReadSelection()
    {
        var value = Environment.GetEnvironmentVariable(SelectionVariable);
        if (value is null)
        {
            return [Runc, Csrunsc];
        }

        var selected = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        var unknown = selected.Where(r => r is not (Runc or Csrunsc)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException(
                $"{SelectionVariable}={value}: unknown runtime(s) {string.Join(", ", unknown)} (use runc and/or csrunsc)");
        }

        return selected;
    }
}
