using System.Text.Json.Serialization;

namespace Csrunsc.State;

/// <summary>What the state root records for one container (state.json), written atomically.</summary>
public sealed class ContainerState
{
    public string Id { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    /// <summary>The sandbox process: the pid in the pid file, alive exactly as long as the container's init.</summary>
    public int Pid { get; set; }
    /// <summary>Its start time (field 22 of /proc/PID/stat), so a reused pid is not mistaken for it.</summary>
    public ulong PidStartTime { get; set; }
    /// <summary>created, running or paused as last set by a command; stopped is derived from the process.</summary>
    public string Status { get; set; } = "created";
    /// <summary>While paused: the status to return to on resume (a created container can be paused too).</summary>
    public string? PausedFrom { get; set; }
    public DateTime Created { get; set; }
    public string Owner { get; set; } = "";
    public Dictionary<string, string>? Annotations { get; set; }
    /// <summary>The cgroup directories (one per v1 controller) the sandbox was put in.</summary>
    public List<string> Cgroups { get; set; } = new();
    /// <summary>
    /// For a pod's app container created inside its pod's sandbox: the sandbox container's id (whose
    /// control socket serves it). Its pid is then its proxy process's. Null: a sandbox of its own.
    /// </summary>
    public string? Sandbox { get; set; }

    /// <summary>A pod member's gofer (started by its create, ended at its delete), with its start time.</summary>
    public int GoferPid { get; set; }
    public ulong GoferStartTime { get; set; }

    /// <summary>Namespace identities the guest sees (type → inode), so pod members can join them.</summary>
    public Dictionary<string, ulong> Namespaces { get; set; } = new();
}

/// <summary>The OCI runtime state as `state` prints it (runc's field names and order).</summary>
public sealed class OciState
{
    public string OciVersion { get; set; } = "1.0.2-dev";
    public string Id { get; set; } = "";
    public int Pid { get; set; }
    public string Status { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    public DateTime Created { get; set; }
    public string Owner { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? Annotations { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ContainerState))]
[JsonSerializable(typeof(OciState))]
[JsonSerializable(typeof(List<OciState>))]
[JsonSerializable(typeof(List<int>))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
