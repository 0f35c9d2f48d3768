namespace Csrunsc.Oci;

/// <summary>
/// Host-side pre-flight check of <c>process.args[0]</c> against the rootfs, mirroring what runc's
/// init does before exec (Go's exec.LookPath, then execve): found, executable, and either an
/// ELF file or a #! script whose interpreter exists. Messages follow runc's wording.
/// </summary>
public static class ProcessExecutableCheck
{
    private const string DefaultPathWhenUnset = "";

    private static ReadOnlySpan<byte> ElfMagic => [0x7f, (byte)'E', (byte)'L', (byte)'F'];

    /// <summary>
    /// Returns false with <paramref name="error"/> (without the "unable to start container
    /// process: " prefix) when args[0] cannot be executed in the rootfs.
    /// </summary>
    public static bool TryCheck(OciSpec spec, string rootfsPath, out string error)
    {
        error = "";
        var process = spec.Process!;
        var name = process.Args![0];
        var cwd = process.Cwd;

        if (name.Contains('/'))
        {
            if (IsUnderSpecMount(spec, name, cwd))
            {
                return true;
            }

            if (!TryFindExecutable(rootfsPath, cwd, name, out var resolved, out var failure))
            {
                error = failure == "permission denied"
                    ? $"exec: \"{name}\": permission denied"
                    : $"exec: \"{name}\": stat {name}: {failure}";
                return false;
            }

            return TryCheckFormat(spec, rootfsPath, name, resolved, out error);
        }

        var searchPath = FindPathVariable(process.Env) ?? DefaultPathWhenUnset;
        foreach (var entry in searchPath.Split(':'))
        {
            var dir = entry.Length == 0 ? "." : entry;
            var candidate = dir.EndsWith('/') ? dir + name : dir + "/" + name;
            if (IsUnderSpecMount(spec, candidate, cwd))
            {
                return true;
            }

            if (TryFindExecutable(rootfsPath, cwd, candidate, out var resolved, out _))
            {
                return TryCheckFormat(spec, rootfsPath, candidate, resolved, out error);
            }
        }

        error = $"exec: \"{name}\": executable file not found in $PATH";
        return false;
    }

    private static bool TryFindExecutable(string rootfs, string cwd, string guestPath, out string resolvedGuestPath, out string failure)
    {
        if (!RootfsPathResolver.TryResolve(rootfs, cwd, guestPath, out resolvedGuestPath, out failure))
        {
            return false;
        }

        var host = RootfsPathResolver.ToHostPath(rootfs, resolvedGuestPath);
        if (Directory.Exists(host) || !HasAnyExecuteBit(host))
        {
            failure = "permission denied";
            return false;
        }

        return true;
    }

    private static bool TryCheckFormat(OciSpec spec, string rootfs, string name, string resolvedGuestPath, out string error)
    {
        error = "";
        var host = RootfsPathResolver.ToHostPath(rootfs, resolvedGuestPath);
        Span<byte> head = stackalloc byte[256];
        int length;
        try
        {
            using var stream = File.OpenRead(host);
            length = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"exec {name}: {e.Message}";
            return false;
        }

        head = head[..length];
        if (head.StartsWith(ElfMagic))
        {
            return true;
        }

        if (!head.StartsWith("#!"u8))
        {
            error = $"exec {name}: exec format error (neither an ELF executable nor a #! script)";
            return false;
        }

        var interpreter = ParseInterpreter(head[2..]);
        if (interpreter.Length == 0)
        {
            error = $"exec {name}: exec format error (empty #! line)";
            return false;
        }

        if (IsUnderSpecMount(spec, interpreter, "/"))
        {
            return true;
        }

        if (!TryFindExecutable(rootfs, "/", interpreter, out _, out var failure))
        {
            error = $"exec {name}: interpreter {interpreter}: {failure}";
            return false;
        }

        return true;
    }

    private static string ParseInterpreter(ReadOnlySpan<byte> afterShebang)
    {
        var end = afterShebang.IndexOf((byte)'\n');
        var line = end < 0 ? afterShebang : afterShebang[..end];
        var text = System.Text.Encoding.UTF8.GetString(line).Trim();
        var space = text.IndexOfAny([' ', '\t']);
        return space < 0 ? text : text[..space];
    }

    private static bool HasAnyExecuteBit(string hostPath)
    {
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(hostPath) & anyExecute) != 0;
    }

    private static string? FindPathVariable(List<string>? env)
    {
        if (env is null)
        {
            return null;
        }

        string? value = null;
        foreach (var variable in env)
        {
            if (variable.StartsWith("PATH=", StringComparison.Ordinal))
            {
                value = variable["PATH=".Length..];
            }
        }

        return value;
    }

    /// <summary>
    /// True when the guest path lies under a bind mount of the spec: its content then comes from
    /// outside the rootfs and only the Sentry can tell whether it is executable.
    /// </summary>
    private static bool IsUnderSpecMount(OciSpec spec, string guestPath, string cwd)
    {
        if (spec.Mounts is null)
        {
            return false;
        }

        var absolute = guestPath.StartsWith('/') ? guestPath : cwd.TrimEnd('/') + "/" + guestPath;
        foreach (var mount in spec.Mounts)
        {
            var isBind = mount.Type == "bind" || (mount.Options?.Contains("bind") ?? false) || (mount.Options?.Contains("rbind") ?? false);
            if (!isBind)
            {
                continue;
            }

            var destination = mount.Destination.TrimEnd('/');
            if (destination.Length == 0 || absolute == destination || absolute.StartsWith(destination + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
