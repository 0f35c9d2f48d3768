using Csrunsc.Cli;
using Csrunsc.Native;
using Csrunsc.Oci;

namespace Csrunsc.Sandbox;

/// <summary>Starts a container's gofer (`csrunsc gofer`) serving its rootfs and bind mounts over a socketpair.</summary>
public static class GoferLauncher
{
    /// <summary>
    /// Returns the gofer's pid and the Sentry's end of its channel, or -errno. hostUid: the
    /// sandbox's host uid, which the gofer drops to after its set-up (null: it stays root, unconfined).
    /// debugLog: --debug-log; when it is a directory the gofer writes ID.gofer.PID.log there (<see cref="DebugLog"/>).
    /// </summary>
    public static int Start(OciSpec spec, string bundle, string rootfs, uint? hostUid, int stderrFd, bool newSession, string? debugLog, string id,
        out int sentryEnd)
    {
        sentryEnd = -1;
        if (HostProcess.SocketPair(out int sentry, out int goferEnd) < 0) return -Libc.LastErrno;
        var plan = MountPlan.From(spec, bundle);
        var args = new List<string> { "csrunsc-gofer", "gofer", "--fd", "3", "--rootfs", rootfs };
        if (spec.Root?.Readonly == true) args.Add("--ro");
        if (hostUid is { } uid)
        {
            args.Add("--host-id");
            args.Add(uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (DebugLog.IsDirectory(debugLog))
        {
            args.AddRange(["--debug-log", debugLog!, "--id", id]);
        }
        foreach (var (guest, host, ro) in plan.GoferBinds)
        {
            args.Add("--bind");
            args.Add($"{guest}={host}{(ro ? ":ro" : "")}");
        }
        int devNull = Libc.OpenPath("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC);
        int pid = HostProcess.Spawn(BootCommand.SelfPath, args, [(devNull, 0), (devNull, 1), (stderrFd < 0 ? devNull : stderrFd, 2), (goferEnd, 3)], newSession: newSession);
        Libc.Close(goferEnd);
        Libc.Close(devNull);
        if (pid < 0)
        {
            Libc.Close(sentry);
            return pid;
        }
        sentryEnd = sentry;
        return pid;
    }
}
