using System.Text.Json;

namespace Csrunsc.Oci;

/// <summary>
/// Loads and validates an OCI bundle (bundle dir, config.json, rootfs, the process to run)
/// before anything is spawned, so that a bad bundle fails with one line naming the cause
/// and leaves nothing behind.
/// </summary>
/// <remarks>
/// What runc 1.1.5 (Debian 12, 1.1.5+ds1-1+deb12u1) does for `runc run --bundle B ID` on bad
/// input — observed, not guessed. runc prints one logrus line on stderr
/// (<c>time="..." level=error msg="runc run failed: MSG"</c>) except where noted, leaves no
/// state behind (`runc list` is empty afterwards), and exits with status 1 in every case:
/// <code>
/// | case                                   | exit | runc's MSG                                                                                   |
/// |----------------------------------------|------|----------------------------------------------------------------------------------------------|
/// | bundle dir missing                     | 1    | chdir B: no such file or directory                                                           |
/// | bundle path is a file                  | 1    | chdir B: not a directory                                                                     |
/// | config.json missing                    | 1    | JSON specification file config.json not found                                                |
/// | config.json empty                      | 1    | EOF                                                                                          |
/// | config.json truncated ({"process": {)  | 1    | unexpected EOF                                                                               |
/// | config.json syntax error ({ bad json })| 1    | invalid character 'b' looking for beginning of object key string                             |
/// | config.json wrong type ({"process":5}) | 1    | json: cannot unmarshal number into Go struct field Spec.process of type specs.Process        |
/// | no "process"                           | 1    | process property must not be empty                                                           |
/// | process.args empty                     | 1    | args must not be empty                                                                       |
/// | process.cwd relative                   | 1    | Cwd must be an absolute path                                                                 |
/// | no "root"                              | 1    | root must be specified                                                                       |
/// | rootfs missing                         | 1    | invalid rootfs: stat B/rootfs: no such file or directory                                     |
/// | rootfs is a symlink (e.g. to /)        | 1    | invalid rootfs: not an absolute path, or a symlink                                           |
/// | rootfs is a file                       | 1    | unable to start container process: unable to start init: fork/exec /proc/self/exe: not a directory |
/// | args[0] absolute, not in rootfs        | 1    | unable to start container process: exec: "/nonexistent-binary": stat /nonexistent-binary: no such file or directory |
/// | args[0] bare name, not in $PATH        | 1    | unable to start container process: exec: "nonexistentcmd": executable file not found in $PATH |
/// | args[0] not executable (mode 644)      | 1    | unable to start container process: exec: "/bin/data.txt": permission denied                  |
/// | args[0] is a directory                 | 1    | unable to start container process: exec: "/tmp": permission denied                           |
/// | args[0] non-ELF, mode 755, no #!       | 1    | (printed by the container's init, plain, not logrus) exec /bin/script: exec format error      |
/// | args[0] #! names a missing interpreter | 1    | (printed by the container's init, plain, not logrus) exec /bin/scr: no such file or directory |
/// </code>
/// <see cref="Load"/> returns the same exit status (1) with a message worded like runc's where
/// callers might match it, made explicit where runc's is obscure (rootfs not a directory,
/// exec format error). Checks on args[0] are skipped when it lies under a bind mount of the
/// spec (its host location is then not inside the rootfs); the Sentry's execve reports those.
/// </remarks>
public static class BundleLoader
{
    public const string ConfigFileName = "config.json";
    public const int ExitSuccess = 0;
    public const int ExitFailure = 1;

    private const string StartFailurePrefix = "unable to start container process: ";

    /// <summary>
    /// Loads <c>bundleDir/config.json</c> and validates it. Returns 0 on success, otherwise 1
    /// (runc's exit status for every bundle error) with <paramref name="error"/> set to one line.
    /// <paramref name="rootfsPath"/> is the absolute host path of the rootfs.
    /// </summary>
    /// <summary>The path with every symlink resolved (the kernel's own name for the directory), or null.</summary>
    private static string? PhysicalPath(string path)
    {
        int fd = Native.Libc.OpenPath(path, Native.Libc.O_PATH | Native.Libc.O_CLOEXEC);
        if (fd < 0) return null;
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        finally
        {
            Native.Libc.Close(fd);
        }
    }

    public static int Load(string bundleDir, out OciSpec? spec, out string rootfsPath, out string error)
    {
        spec = null;
        rootfsPath = "";
        error = "";

        var bundle = Path.GetFullPath(bundleDir.Length == 0 ? "." : bundleDir);
        if (!Directory.Exists(bundle))
        {
            error = File.Exists(bundle)
                ? $"bundle {bundle}: not a directory"
                : $"bundle {bundle}: no such file or directory";
            return ExitFailure;
        }

        var configPath = Path.Join(bundle, ConfigFileName);
        if (!File.Exists(configPath))
        {
            error = $"JSON specification file {configPath} not found";
            return ExitFailure;
        }

        string text;
        try
        {
            text = File.ReadAllText(configPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read {configPath}: {e.Message}";
            return ExitFailure;
        }

        if (!TryParse(text, configPath, out spec, out error))
        {
            return ExitFailure;
        }

        if (!TryValidate(spec!, out error))
        {
            return ExitFailure;
        }

        // Fields csrunsc cannot honour fail create rather than being ignored (ConfigFields: the table tests/README.md shows).
        using (var document = JsonDocument.Parse(text))
        {
            if (ConfigFields.CheckRefused(document.RootElement) is { } refused)
            {
                error = refused;
                return ExitFailure;
            }
        }

        var root = spec!.Root!.Path;
        // runc joins a relative root to the bundle's physical path (its cwd after chdir), so only
        // the root path's own components may not be symlinks.
        rootfsPath = Path.GetFullPath(Path.IsPathRooted(root) ? root : Path.Join(PhysicalPath(bundle) ?? bundle, root));
        if (!Directory.Exists(rootfsPath))
        {
            error = File.Exists(rootfsPath)
                ? $"invalid rootfs: {rootfsPath} is not a directory"
                : $"invalid rootfs: stat {rootfsPath}: no such file or directory";
            return ExitFailure;
        }

        // linux.sysctl: net.* keys are applied in the container's network namespace, the IPC
        // namespace's keys (kernel.shm*/sem/msg*, fs.mqueue.*) in the Sentry's IPC namespace, both at
        // boot; the Sentry's other kernel.*/fs.* values are fixed, so any other key is refused rather than ignored.
        foreach (var (key, value) in spec.Linux?.Sysctl ?? [])
        {
            if (key.StartsWith("net.", StringComparison.Ordinal)) continue;
            if (!Sentry.Kernel.Ipc.IpcSysctls.IsIpcKey(key))
            {
                error = $"sysctl \"{key}\" is not supported: csrunsc applies only net.* and IPC namespace sysctls";
                return ExitFailure;
            }
            // runc: IPC sysctls only in a container with its own (or a joined) IPC namespace.
            if (!(spec.Linux?.Namespaces?.Any(n => n.Type == "ipc") ?? false))
            {
                error = $"sysctl \"{key}\" is not allowed in the hosts ipc namespace";
                return ExitFailure;
            }
            if (Sentry.Kernel.Ipc.IpcSysctls.Check(key, value) is { } invalid)
            {
                error = invalid;
                return ExitFailure;
            }
        }

        if (UserNamespaceCheck.Check(spec) is { } userError)
        {
            error = userError;
            return ExitFailure;
        }

        // runc: an rlimit type Linux does not know fails create (it would otherwise be ignored).
        if (spec.Process?.Rlimits?.FirstOrDefault(r => Array.IndexOf(OciRlimit.Names, r.Type) < 0) is { } badRlimit)
        {
            error = $"wrong rlimit value: {badRlimit.Type}";
            return ExitFailure;
        }

        // runc: oom_score_adj outside [-1000, 1000] is refused by the kernel at create.
        if (spec.Process?.OomScoreAdj is int adj && (adj < -1000 || adj > 1000))
        {
            error = $"write /proc/self/oom_score_adj: invalid argument (oomScoreAdj {adj} is outside [-1000, 1000])";
            return ExitFailure;
        }

        if (!OciDevices.TryRead(spec, out _, out _, out error)) return ExitFailure;
        if (!OciMounts.TryCheck(spec, out error)) return ExitFailure;

        // runc: a rootfs reached through a symlink (one to "/" would serve the host's root) is refused.
        if (PhysicalPath(rootfsPath) is { } physical && physical != rootfsPath.TrimEnd('/') && rootfsPath != "/")
        {
            error = "invalid rootfs: not an absolute path, or a symlink";
            return ExitFailure;
        }

        if (!ProcessExecutableCheck.TryCheck(spec, rootfsPath, out var execError))
        {
            error = StartFailurePrefix + execError;
            return ExitFailure;
        }

        return ExitSuccess;
    }

    private static bool TryParse(string text, string configPath, out OciSpec? spec, out string error)
    {
        spec = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"invalid JSON in {configPath}: the file is empty";
            return false;
        }

        // Syntax first (JsonDocument), then shape (the typed model): the two failures read differently.
        try
        {
            using var document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            error = $"invalid JSON in {configPath}: syntax error{DescribeLocation(e)}: {Summarize(e)}";
            return false;
        }

        try
        {
            spec = OciSpec.Parse(text);
        }
        catch (JsonException e)
        {
            error = $"invalid JSON in {configPath}: value of the wrong type{DescribeLocation(e)}: {Summarize(e)}";
            return false;
        }

        if (spec is null)
        {
            error = $"invalid JSON in {configPath}: the document is null, expected an object";
            return false;
        }

        return true;
    }

    /// <summary>runc's spec checks (validateProcessSpec, and the root check of createContainer).</summary>
    private static bool TryValidate(OciSpec spec, out string error)
    {
        var process = spec.Process;
        if (process is null)
        {
            error = "process property must not be empty";
            return false;
        }

        if (process.Cwd.Length == 0)
        {
            error = "Cwd property must not be empty";
            return false;
        }

        if (!process.Cwd.StartsWith('/'))
        {
            error = "Cwd must be an absolute path";
            return false;
        }

        if (process.Args is null || process.Args.Count == 0 || process.Args[0].Length == 0)
        {
            error = "args must not be empty";
            return false;
        }

        if (spec.Root is null || spec.Root.Path.Length == 0)
        {
            error = "root must be specified";
            return false;
        }

        error = "";
        return true;
    }

    private static string DescribeLocation(JsonException e)
    {
        var parts = new List<string>();
        if (e.LineNumber is { } line)
        {
            parts.Add($"line {line + 1}");
        }

        if (e.BytePositionInLine is { } column)
        {
            parts.Add($"column {column + 1}");
        }

        if (!string.IsNullOrEmpty(e.Path) && e.Path != "$")
        {
            parts.Add($"at {e.Path}");
        }

        return parts.Count == 0 ? "" : " (" + string.Join(", ", parts) + ")";
    }

    /// <summary>
    /// The exception's own description without the location suffix it appends (reported
    /// separately) and on one line. Under NativeAOT with UseSystemResourceKeys this is the
    /// resource key (e.g. "ExpectedStartOfPropertyNotFound, b"), still naming the problem.
    /// </summary>
    private static string Summarize(JsonException e)
    {
        var message = e.Message;
        foreach (var marker in new[] { " Path:", " LineNumber:", "\r", "\n" })
        {
            var at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                message = message[..at];
            }
        }

        message = message.Trim().TrimEnd(',', '.').Trim();
        if (message.Length == 0)
        {
            return e.GetType().Name;
        }

        // Resource keys that NativeAOT leaves in place of messages, spelled out.
        var comma = message.IndexOf(',');
        var key = comma < 0 ? message : message[..comma];
        var detail = comma < 0 ? "" : message[(comma + 1)..].Trim();
        return key switch
        {
            "ZeroDepthAtEnd" or "ExpectedEndAfterSingleJson" when detail.Length == 0 => "unexpected end of input (an object or array is not closed)",
            "ExpectedStartOfPropertyNotFound" => $"expected a property name in double quotes, found '{detail}'",
            "ExpectedStartOfValueNotFound" => $"expected a value, found '{detail}'",
            "ExpectedSeparatorAfterPropertyNameNotFound" => $"expected ':' after a property name, found '{detail}'",
            "ExpectedEndOfDigitNotFound" or "FoundInvalidCharacter" => $"invalid character '{detail}'",
            "TrailingCommaNotAllowedBeforeObjectEnd" or "TrailingCommaNotAllowedBeforeArrayEnd" => "trailing comma",
            "DeserializeUnableToConvertValue" => $"cannot convert the value to {detail}",
            _ => message,
        };
    }
}
