using Csrunsc.Cli;

namespace Csrunsc;

/// <summary>csrunsc: a runc-compatible command line over the sandboxed runtime.</summary>
public static class Program
{
    private const string Usage = """
        usage: csrunsc [global flags] COMMAND [flags] [ID]

        commands: create start run state kill delete list ps exec pause resume update events spec features
        global flags: --root DIR (default /run/csrunsc) --log FILE --log-format text|json --debug
                      --systemd-cgroup --platform ptrace --strace --strace-syscalls LIST --debug-log FILE|DIR/
                      (DIR: ID.COMMAND.PID.log, ID.sandbox.PID.log, ID.gofer.PID.log, 16 MiB each then .1)
        debug ID --syscall-stats|--ps|--fds PID|--mounts|--tasks: guest views from the Sentry
        debug ID --stacks|--counters [--interval S] [--samples N]|--trace SECONDS [--out FILE]|--dump FILE:
                 the Sentry process through the .NET diagnostics client
        profile ID [--out FILE], run --profile-seccomp FILE: a linux.seccomp profile of the syscalls used

        """;

    public static int Main(string[] args)
    {
        var global = new GlobalOptions();
        int i = GlobalOptions.Parse(args, global, out string? error);
        Log.Options = global;
        if (i == -2)
        {
            Native.Libc.WriteString(1, "csrunsc version 0.1.0\nspec: 1.0.2-dev\n");
            return 0;
        }
        if (i < 0 || (error is null && i >= args.Length))
        {
            Native.Libc.WriteString(i == -1 ? 1 : 2, Usage);
            return i == -1 ? 0 : 1;
        }
        if (error is not null)
        {
            Log.Error(error);
            return 1;
        }
        if (global.Platform != "ptrace" && (global.Platform != "kvm" || Kvm.KvmProbe.WhyUnusable() is not null))
        {
            Log.Error(global.Platform == "kvm" ? Kvm.KvmProbe.WhyUnusable()! : $"unknown platform {global.Platform}: use ptrace or kvm");
            return 1;
        }
        string command = args[i];
        string[] rest = args[(i + 1)..];
        if (command is not ("boot" or "gofer" or "exec-proxy" or "container-proxy"))
        {
            DebugLog.Command = command;
            DebugLog.Args = args;
        }
        int code = Run(command, rest, global);
        DebugLog.End(code);
        return code;
    }

    private static int Run(string command, string[] rest, GlobalOptions global)
    {
        switch (command)
        {
            case "create": return CreateCommand.Run(rest, global);
            case "start": return StartCommand.Run(rest, global);
            case "run": return RunCommand.Run(rest, global);
            case "state": return StateCommand.Run(rest, global);
            case "kill": return KillCommand.Run(rest, global);
            case "delete": return DeleteCommand.Run(rest, global);
            case "list": return ListCommand.Run(rest, global);
            case "ps": return PsCommand.Run(rest, global);
            case "exec": return ExecCommand.Run(rest, global);
            case "pause": return PauseCommand.Run(rest, global, pause: true);
            case "resume": return PauseCommand.Run(rest, global, pause: false);
            case "update": return UpdateCommand.Run(rest, global);
            case "events": return EventsCommand.Run(rest, global);
            case "debug": return DebugCommand.Run(rest, global);
            case "profile": return ProfileCommand.Run(rest, global);
            case "features": return FeaturesCommand.Run(rest);
            case "spec": return SpecCommand.Run(rest);
            case "checkpoint":
            case "restore":
                Log.Error($"{command} is not supported by csrunsc yet");
                return 1;
            case "boot": return BootCommand.Run(rest, global);
            case "gofer": return GoferCommand.Run(rest);
            case "exec-proxy": return ExecProxyCommand.Run(rest);
            case "container-proxy": return ContainerProxyCommand.Run(rest);
            case "syscalls": return SyscallsCommand.Run();
            default:
                Log.Error($"No help topic for '{command}'");
                return 1;
        }
    }
}
