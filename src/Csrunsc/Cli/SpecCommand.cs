using Csrunsc.Oci;

namespace Csrunsc.Cli;

/// <summary>
/// <c>csrunsc spec [--bundle|-b DIR]</c>: writes a starter config.json into DIR (default: the
/// current directory) with exactly the content <c>runc spec</c> writes. Like runc it refuses to
/// overwrite an existing config.json ("File config.json exists. Remove it first", exit 1).
/// </summary>
public static class SpecCommand
{
    private const string Usage = "usage: csrunsc spec [--bundle|-b DIR]";

    /// <summary>Runs the command with the arguments after "spec"; returns the exit status.</summary>
    public static int Run(string[] args)
    {
        string? bundle = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--bundle" or "-b" or "-bundle")
            {
                if (i + 1 >= args.Length)
                {
                    return Fail($"flag needs an argument: {arg}");
                }

                bundle = args[++i];
            }
            else if (arg.StartsWith("--bundle=", StringComparison.Ordinal))
            {
                bundle = arg["--bundle=".Length..];
            }
            else if (arg is "--rootless")
            {
                return Fail("--rootless is not supported");
            }
            else if (arg is "--help" or "-h")
            {
                Console.Out.WriteLine(Usage);
                return 0;
            }
            else
            {
                return Fail($"unexpected argument {arg}; {Usage}");
            }
        }

        var directory = Directory.GetCurrentDirectory();
        if (!string.IsNullOrEmpty(bundle))
        {
            directory = Path.GetFullPath(bundle);
            if (!Directory.Exists(directory))
            {
                return Fail(File.Exists(directory)
                    ? $"chdir {bundle}: not a directory"
                    : $"chdir {bundle}: no such file or directory");
            }
        }

        var configPath = Path.Join(directory, BundleLoader.ConfigFileName);
        if (File.Exists(configPath) || Directory.Exists(configPath))
        {
            return Fail($"File {BundleLoader.ConfigFileName} exists. Remove it first");
        }

        try
        {
            // runc writes with mode 0666 (before umask) and no trailing newline.
            using var stream = new FileStream(configPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
                    | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite,
            });
            stream.Write(System.Text.Encoding.UTF8.GetBytes(OciSpec.Default().ToRuncJson()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail($"cannot write {configPath}: {e.Message}");
        }

        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"csrunsc spec: {message}");
        return 1;
    }
}
