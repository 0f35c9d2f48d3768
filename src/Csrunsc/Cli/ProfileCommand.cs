using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `profile ID [--out FILE]`: an OCI linux.seccomp profile allowing the syscalls the running
/// container's workload has made so far (to stdout, or FILE), ready for config.json. `run
/// --profile-seccomp FILE` writes the same at the container's exit, with every call it made.
/// </summary>
public static class ProfileCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, ["out|o"], [], out string? error);
        var store = new StateStore(global.Root);
        var state = Containers.FindRunning(store, a, error, "container not running (use run --profile-seccomp FILE to get the profile at exit)");
        if (state is null) return 1;
        if (!DebugCommand.GuestView(store, state, "seccomp-profile", out string json))
        {
            Log.Error(json);
            return 1;
        }
        if (a.Value("out") is { } file) File.WriteAllText(file, json);
        else Native.Libc.WriteString(1, json);
        return 0;
    }
}
