namespace Csrunsc.Tests.Differential;

/// <summary>Who the tests run as: containers (runc and csrunsc alike) need root.</summary>
public static class HostUser
{
    public const string NotRootSkipReason =
        "container tests need root (runc and csrunsc create namespaces and mounts); run ./test.sh as root";

    public static bool IsRoot { get; } = ReadEffectiveUid() == 0;

    private static int ReadEffectiveUid()
    {
        // /proc/self/status: "Uid:\treal\teffective\tsaved\tfs"
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                var fields = line["Uid:".Length..].Split('\t', StringSplitOptions.RemoveEmptyEntries);
                return int.Parse(fields[1]);
            }
        }

        return -1;
    }
}
