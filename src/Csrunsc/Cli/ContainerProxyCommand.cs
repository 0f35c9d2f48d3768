using System.Text;
using System.Text.Json;
using Csrunsc.Oci;
using Csrunsc.Sandbox;

namespace Csrunsc.Cli;

/// <summary>
/// `container-proxy --control SOCK --id ID --bundle B --namespaces N --gofer-fd G --ready-fd R`
/// (internal): the host process standing for a pod member's init, which runs in the pod's sandbox.
/// It sends the sandbox the container (config.json, its gofer connection, its stdio), reports
/// readiness once init is loaded and held, and from then on is the container's pid-file process as
/// an exec proxy is an exec'd process's: it relays its signals to init, exits with init's status,
/// and if it is killed the sandbox kills init.
/// </summary>
public static class ContainerProxyCommand
{
    public static int Run(string[] args)
    {
        var a = CommandArgs.Parse(args, ["control", "id", "bundle", "namespaces", "gofer-fd", "ready-fd"], ["clear-onlcr"], out string? error);
        int ready = int.TryParse(a.Value("ready-fd"), out int r) ? r : -1;
        int gofer = int.TryParse(a.Value("gofer-fd"), out int g) ? g : -1;
        if (error is null && (a.Value("control") is null || a.Value("id") is null || a.Value("bundle") is null || gofer < 0))
            error = "container-proxy: --control, --id, --bundle and --gofer-fd are required";
        OciSpec? spec = null;
        if (error is null && BundleLoader.Load(a.Value("bundle")!, out spec, out _, out string? loadError) != 0) error = loadError ?? "cannot load the bundle";
        if (error is not null)
        {
            if (ready >= 0) Native.Libc.WriteString(ready, "error " + error + "\n");
            else Log.Error(error);
            return 1;
        }
        var request = SandboxConfig.RequestFor(a.Value("id")!, spec!, Path.GetFullPath(a.Value("bundle")!), NamespacePlan.Parse(a.Value("namespaces")));
        request.ClearOnlcr = a.Flag("clear-onlcr");
        // The member's own cgroups (made by create), read through by its cgroup mount in the pod's Sentry.
        var views = Sentry.Fs.Cgroup.HostCgroupView.OpenFor(Cgroups.PathFor(spec!.Linux?.CgroupsPath, a.Value("id")!), out string procCgroup);
        request.Cgroups = views.Select(v => new CgroupViewSpec { Name = v.Name, Controllers = v.Controllers, Path = v.CgroupPath }).ToList();
        request.ProcCgroup = spec.Linux?.Namespaces?.Any(n => n.Type == "cgroup") == true ? Sentry.Fs.Cgroup.HostCgroupView.Namespaced(procCgroup) : procCgroup;
        string payload = Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request, ContainerRequestJsonContext.Default.ContainerRequest)));
        return ExecProxyCommand.Proxy(a.Value("control")!, "create " + payload, [0, 1, 2], ready, leadingFd: gofer, trailingFds: views.Select(v => v.DirFd).ToArray());
    }
}
