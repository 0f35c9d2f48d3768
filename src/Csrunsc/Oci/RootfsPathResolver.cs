namespace Csrunsc.Oci;

/// <summary>
/// Resolves a path as the container would see it, inside a rootfs directory on the host:
/// symlinks are followed in the guest's view (an absolute link target restarts at the rootfs,
/// ".." never climbs above it), so the result always lies under the rootfs.
/// Used only for host-side pre-flight checks of the bundle; the Sentry and the Gofer do the
/// real resolution one component at a time.
/// </summary>
public static class RootfsPathResolver
{
    private const int MaxSymlinkFollows = 40;

    /// <summary>
    /// Resolves <paramref name="guestPath"/> (absolute, or relative to <paramref name="guestCwd"/>).
    /// Returns false when a component is missing, is not a directory, or symlinks loop; then
    /// <paramref name="resolvedGuestPath"/> is the prefix resolved so far.
    /// </summary>
    public static bool TryResolve(string rootfs, string guestCwd, string guestPath, out string resolvedGuestPath, out string failure)
    {
        var pending = new Stack<string>();
        PushComponents(pending, guestPath);
        var resolved = new List<string>();
        if (!guestPath.StartsWith('/'))
        {
            var cwdComponents = new Stack<string>();
            PushComponents(cwdComponents, guestCwd);
            while (cwdComponents.Count > 0)
            {
                Append(resolved, cwdComponents.Pop());
            }
        }

        var follows = 0;
        while (pending.Count > 0)
        {
            var component = pending.Pop();
            if (component is "" or ".")
            {
                continue;
            }

            if (component == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var parentHost = ToHostPath(rootfs, resolved);
            if (resolved.Count > 0 && !Directory.Exists(parentHost))
            {
                resolvedGuestPath = ToGuestPath(resolved);
                failure = "not a directory";
                return false;
            }

            var candidate = Path.Combine(parentHost, component);
            var info = new FileInfo(candidate);
            var linkTarget = info.LinkTarget;
            if (linkTarget is not null)
            {
                if (++follows > MaxSymlinkFollows)
                {
                    resolvedGuestPath = ToGuestPath(resolved) + "/" + component;
                    failure = "too many levels of symbolic links";
                    return false;
                }

                if (linkTarget.StartsWith('/'))
                {
                    resolved.Clear();
                }

                PushComponents(pending, linkTarget);
                continue;
            }

            if (!info.Exists && !Directory.Exists(candidate))
            {
                resolvedGuestPath = ToGuestPath(resolved) == "/" ? "/" + component : ToGuestPath(resolved) + "/" + component;
                failure = "no such file or directory";
                return false;
            }

            resolved.Add(component);
        }

        resolvedGuestPath = ToGuestPath(resolved);
        failure = "";
        return true;
    }

    /// <summary>The host path of a resolved guest path.</summary>
    public static string ToHostPath(string rootfs, string resolvedGuestPath) =>
        resolvedGuestPath == "/" ? rootfs : Path.Join(rootfs, resolvedGuestPath);

    private static string ToHostPath(string rootfs, List<string> components) =>
        components.Count == 0 ? rootfs : Path.Join(rootfs, string.Join('/', components));

    private static string ToGuestPath(List<string> components) => "/" + string.Join('/', components);

    private static void Append(List<string> resolved, string component)
    {
        if (component == "..")
        {
            if (resolved.Count > 0)
            {
                resolved.RemoveAt(resolved.Count - 1);
            }
        }
        else if (component is not ("" or "."))
        {
            resolved.Add(component);
        }
    }

    /// <summary>Pushes the components of <paramref name="path"/> so that the first one pops first.</summary>
    private static void PushComponents(Stack<string> pending, string path)
    {
        var components = path.Split('/');
        for (var i = components.Length - 1; i >= 0; i--)
        {
            pending.Push(components[i]);
        }
    }
}
