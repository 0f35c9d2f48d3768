namespace Csrunsc.Sandbox;

/// <summary>Signal names and numbers as `kill` accepts them (TERM, SIGTERM, 15).</summary>
public static class SignalNames
{
    private static readonly string[] Names =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
        "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];

    public static int Parse(string s)
    {
        if (int.TryParse(s, out int n)) return n is > 0 and <= 64 ? n : -1;
        string u = s.ToUpperInvariant();
        if (u.StartsWith("SIG", StringComparison.Ordinal)) u = u[3..];
        if (u == "IOT") return 6;
        if (u == "CLD") return 17;
        if (u == "POLL") return 29;
        int i = Array.IndexOf(Names, u);
        if (i > 0) return i;
        if (u.StartsWith("RTMIN", StringComparison.Ordinal))
        {
            int off = u.Length > 5 && int.TryParse(u[5..], out int o) ? o : 0;
            return 34 + off;
        }
        return -1;
    }
}
