using Csrunsc.Gofer.Server;
using Csrunsc.Native;

namespace Csrunsc.Sentry.Boot.HostSeccomp;

/// <summary>
/// The Sentry's own host seccomp filter (<see cref="SentrySeccompPolicy"/>), opt-in for now:
/// CSRUNSC_SENTRY_SECCOMP=enforce installs it (a violation kills the sandbox process with SIGSYS;
/// the kernel's audit log names the call: "audit: type=1326 ... syscall=N"), =log installs it
/// with SECCOMP_RET_LOG (violations only logged there; for finding what a workload needs, never
/// a default). Built once, installed with TSYNC on every thread after the host privileges are
/// dropped and before the first stub exists, so every stub inherits it under its own filter.
/// </summary>
public static class SentrySeccomp
{
    public const string EnvironmentVariable = "CSRUNSC_SENTRY_SECCOMP";

    public enum Mode { Off, Log, Enforce }

    /// <summary>The mode the environment asks for; an unknown value is an error (never silently off).</summary>
    public static Mode FromEnvironment(out string? error)
    {
        error = null;
        string? v = Environment.GetEnvironmentVariable(EnvironmentVariable);
        switch (v)
        {
            case null or "" or "off": return Mode.Off;
            case "log": return Mode.Log;
            case "enforce": return Mode.Enforce;
            default:
                error = $"{EnvironmentVariable}={v}: expected off, log or enforce";
                return Mode.Off;
        }
    }

    /// <summary>Installs the filter for <paramref name="mode"/> (nothing for Off): 0 or -errno.</summary>
    public static int Install(Mode mode, bool network)
    {
        if (mode == Mode.Off) return 0;
        // TSYNC needs no_new_privs on the calling thread (it then sets it on every thread it syncs).
        if (Libc.Prctl(Libc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -Libc.LastErrno;
        return SeccompFilter.Install(SentrySeccompPolicy.BuildProgram(network, mode == Mode.Log));
    }
}
