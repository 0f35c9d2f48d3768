using Csrunsc.Cli;

namespace Csrunsc;

/// <summary>csrunsc: a runc-compatible command line over the sandboxed runtime.</summary>
public static class Program
{
    private const string Usage = "usage: csrunsc [global flags] <run|spec|boot|gofer> [flags] [ID]\n";

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
        if (i < 0 || i >= args.Length)
        {
            Native.Libc.WriteString(2, Usage);
            return i == -1 ? 0 : 1;
        }
        if (error is not null)
        {
            Log.Error(error);
            return 1;
        }
        string command = args[i];
        string[] rest = args[(i + 1)..];
        switch (command)
        {
            case "run": return RunCommand.Run(rest, global);
            case "spec": return SpecCommand.Run(rest);
            case "boot": return BootCommand.Run(rest, global);
            case "gofer": return GoferCommand.Run(rest);
            default:
                Log.Error($"command \"{command}\" is not supported yet");
                return 1;
        }
    }
}
