using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using Csrunsc.Gofer.Server;
using Csrunsc.Native;

namespace Csrunsc.Gofer;

/// <summary>Entry points of the gofer process ("csrunsc gofer").</summary>
public static class GoferServer
{
    /// <summary>
    /// Opens the rootfs and bind-mount sources, moves into a mount view of only those
    /// (<see cref="GoferMountView"/>), confines the process (chroot into the rootfs,
    /// no_new_privs, host uid <paramref name="hostId"/> with <see cref="GoferCapabilities.Kept"/> only,
    /// seccomp unless CSRUNSC_GOFER_NO_SECCOMP=1), then serves requests on
    /// <paramref name="socketFd"/> until the peer closes it. Returns the process exit code:
    /// 0 after a clean close, 1 when setup or the channel failed (reason written to stderr).
    /// Bind mount i (0-based) is attach index i+1. log: the gofer's debug log (its set-up steps,
    /// failures, the end of the channel), opened by the caller before confinement; null: none.
    /// </summary>
    public static int Run(int socketFd, string rootPath, IReadOnlyList<(string guestPath, string hostPath, bool readOnly)> bindMounts,
        bool rootReadOnly, uint? hostId = null, Action<string>? log = null)
    {
        s_log = log;
        int r = GoferMountView.EnterOwnNamespace(out string? nsStep);
        if (r < 0)
        {
            Report($"csrunsc gofer: cannot build its mount view at {nsStep}: {Errno.Name(-r)}");
            return 1;
        }
        r = GoferRoots.Open(rootPath, bindMounts, rootReadOnly, out var roots, out string? error);
        if (r < 0)
        {
            Report($"csrunsc gofer: {error}");
            return 1;
        }
        using (roots!)
        {
            Libc.Umask(0); // modes the Sentry asks for are final
            PreloadAssemblies();
            // After the preload (paths are gone once the view is in place), before anything is served.
            r = GoferMountView.Isolate(rootPath, roots!, out string? viewStep);
            if (r < 0)
            {
                Report($"csrunsc gofer: cannot build its mount view at {viewStep}: {Errno.Name(-r)}");
                return 1;
            }
            bool skipSeccomp = Environment.GetEnvironmentVariable(GoferSeccompPolicy.DisableEnvironmentVariable) == "1";
            if (skipSeccomp)
            {
                Report($"csrunsc gofer: WARNING: {GoferSeccompPolicy.DisableEnvironmentVariable}=1, running WITHOUT a seccomp filter");
            }
            r = GoferConfinement.Apply(roots!.Points[0].Fd, hostId, skipSeccomp, out string? step);
            if (r < 0)
            {
                Report($"csrunsc gofer: confinement failed at {step}: {Errno.Name(-r)}");
                return 1;
            }
            log?.Invoke($"csrunsc gofer: confined (chroot into the rootfs, {(hostId is { } u ? $"host uid {u}" : "host root")}, seccomp {(skipSeccomp ? "off" : "on")}); serving");
            r = Serve(socketFd, roots);
            if (r < 0)
            {
                Report($"csrunsc gofer: channel failed: {Errno.Name(-r)}");
                return 1;
            }
            log?.Invoke("csrunsc gofer: the Sentry closed the channel; exiting");
            return 0;
        }
    }

    /// <summary>
    /// Serves requests on <paramref name="socketFd"/> against already opened roots, without any
    /// confinement (that is <see cref="Run"/>'s job; tests call this in-process). Returns 0 when the
    /// peer closes the socket, -errno when the channel fails. Does not close the socket or the roots.
    /// </summary>
    internal static int Serve(int socketFd, GoferRoots roots) => new GoferSession(socketFd, roots).Run();

    /// <summary>
    /// Under the JIT (a development run through <c>dotnet csrunsc.dll</c>) assemblies load lazily,
    /// from paths that no longer exist after chroot: load everything the gofer references first.
    /// NativeAOT has nothing to load.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only runs when dynamic code is supported (not NativeAOT).")]
    private static void PreloadAssemblies()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported) return;
        var seen = new HashSet<string>();
        var pending = new Stack<Assembly>([typeof(GoferServer).Assembly, typeof(Libc).Assembly]);
        while (pending.TryPop(out var assembly))
        {
            foreach (var name in assembly.GetReferencedAssemblies())
            {
                if (!seen.Add(name.FullName)) continue;
                try
                {
                    pending.Push(Assembly.Load(name));
                }
                catch (IOException)
                {
                    // Not present (optional reference): nothing to preload.
                }
            }
        }
    }

    private static Action<string>? s_log;

    private static void Report(string message)
    {
        Libc.WriteString(2, message + "\n");
        s_log?.Invoke(message);
    }
}
