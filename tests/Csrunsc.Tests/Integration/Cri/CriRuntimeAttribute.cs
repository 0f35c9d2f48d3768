using System.Reflection;
using Xunit.Sdk;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>What a test needs from csrunsc beyond running containers.</summary>
public enum CsrunscNeeds
{
    Nothing,

    /// <summary>AF_INET sockets in the pod's network namespace (issue 7).</summary>
    Networking,
}

/// <summary>
/// Theory data: one row, <see cref="Runtime"/>, when $CSRUNSC_INTEGRATION_RUNTIMES selects it;
/// skipped (saying why) when it is not selected, or when it is csrunsc and csrunsc does not yet
/// have what the test <see cref="Needs"/>. The gate is read from csrunsc itself, so that such a
/// row runs by itself once the feature lands: networking counts as missing while
/// `csrunsc syscalls` lists socket(2) as Error.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CriRuntimeAttribute(string runtime) : DataAttribute
{
    private static readonly Lazy<string?> NetworkingMissing = new(ReadNetworkingGate);

    public string Runtime { get; } = runtime;

    public CsrunscNeeds Needs { get; set; }

    public override string? Skip
    {
        get
        {
            if (!IntegrationRuntimes.Selected.Contains(Runtime))
            {
                return $"{IntegrationRuntimes.SelectionVariable} does not select {Runtime}";
            }

            return Runtime == IntegrationRuntimes.Csrunsc && Needs == CsrunscNeeds.Networking ? NetworkingMissing.Value : null;
        }
        set => throw new NotSupportedException("the skip reason of a CriRuntime row is computed");
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[Runtime]];

    private static string? ReadNetworkingGate()
    {
        var binary = IntegrationRuntimes.Executable(IntegrationRuntimes.Csrunsc);
        if (!File.Exists(binary))
        {
            return null; // The test runs and fails at the runtime's preflight, saying the binary is missing.
        }

        var table = Shell.Run(TimeSpan.FromSeconds(20), binary, ["syscalls"]);
        var socket = table.Stdout.Split('\n').FirstOrDefault(l => l.Replace(" ", "").StartsWith("|41|socket|", StringComparison.Ordinal));
        return socket is not null && socket.Replace(" ", "").StartsWith("|41|socket|Error|", StringComparison.Ordinal)
            ? $"csrunsc has no network yet (issue 7): `csrunsc syscalls` lists socket(2) as Error ({socket.Trim()}); " +
              "this row runs by itself once socket is implemented"
            : null;
    }
}
