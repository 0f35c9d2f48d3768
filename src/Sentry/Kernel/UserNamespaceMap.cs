using System.Globalization;
using System.Text;

namespace Csrunsc.Sentry.Kernel;

/// <summary>One line of a uid_map/gid_map: container ids [ContainerId, ContainerId+Size) are host ids [HostId, HostId+Size).</summary>
public readonly record struct IdMapExtent(uint ContainerId, uint HostId, uint Size);

/// <summary>
/// One direction-pair of a user namespace's id mapping (uid_map or gid_map), as Linux's
/// struct uid_gid_map: container (namespace) ids to host (parent namespace) ids and back. An id
/// no extent covers has no mapping: <see cref="Invalid"/> (Linux's INVALID_UID) inside, and
/// <see cref="Overflow"/> (overflowuid/overflowgid, 65534) where it is shown to the guest, as
/// from_kuid_munged shows it. uint.MaxValue (-1) is never mapped, as in Linux. Lookups are a scan
/// of at most a few extents: no allocation.
/// </summary>
public sealed class IdMap
{
    public const uint Invalid = uint.MaxValue;
    public const uint Overflow = 65534;

    /// <summary>The initial namespace's map: every id but -1 is itself (`0 0 4294967295`).</summary>
    public static readonly IdMap Identity = new([new IdMapExtent(0, 0, uint.MaxValue)]);

    private readonly IdMapExtent[] _extents;

    public IdMap(IdMapExtent[] extents)
    {
        _extents = extents;
        IsIdentity = extents.Length == 1 && extents[0] is { ContainerId: 0, HostId: 0, Size: uint.MaxValue };
    }

    public IReadOnlyList<IdMapExtent> Extents => _extents;

    /// <summary>True for <see cref="Identity"/>'s mapping: translation is a no-op.</summary>
    public bool IsIdentity { get; }

    /// <summary>
    /// null when the extents form a map Linux would accept in uid_map (1..340 lines, sizes above 0,
    /// no range wrapping past 2^32-1, no two overlapping in either column); else why not.
    /// </summary>
    public static string? Validate(IReadOnlyList<IdMapExtent> extents)
    {
        if (extents.Count is 0 or > 340) return extents.Count == 0 ? "no mappings" : "more than 340 mappings";
        for (int i = 0; i < extents.Count; i++)
        {
            var e = extents[i];
            if (e.Size == 0) return "a mapping of size 0";
            if ((ulong)e.ContainerId + e.Size > uint.MaxValue || (ulong)e.HostId + e.Size > uint.MaxValue)
                return "a mapping past the largest id";
            for (int j = 0; j < i; j++)
            {
                var o = extents[j];
                if (Overlaps(e.ContainerId, o.ContainerId, e.Size, o.Size) || Overlaps(e.HostId, o.HostId, e.Size, o.Size))
                    return "overlapping mappings";
            }
        }
        return null;
    }

    private static bool Overlaps(uint a, uint b, uint sizeA, uint sizeB) => a < (ulong)b + sizeB && b < (ulong)a + sizeA;

    /// <summary>make_kuid: the host id of a container id, or <see cref="Invalid"/>.</summary>
    public uint ToHost(uint id)
    {
        if (IsIdentity) return id;
        foreach (var e in _extents)
            if (id - e.ContainerId < e.Size) return e.HostId + (id - e.ContainerId);
        return Invalid;
    }

    /// <summary>from_kuid: the container id of a host id, or <see cref="Invalid"/>.</summary>
    public uint ToContainer(uint hostId)
    {
        if (IsIdentity) return hostId;
        foreach (var e in _extents)
            if (hostId - e.HostId < e.Size) return e.ContainerId + (hostId - e.HostId);
        return Invalid;
    }

    /// <summary>from_kuid_munged: the container id of a host id, or the overflow id when it has none.</summary>
    public uint ToContainerOrOverflow(uint hostId)
    {
        uint id = ToContainer(hostId);
        return id == Invalid ? Overflow : id;
    }

    /// <summary>uid_valid(make_kuid(ns, id)): the guest may name this id.</summary>
    public bool IsMapped(uint id) => id != Invalid && ToHost(id) != Invalid;

    /// <summary>/proc/PID/uid_map as a reader inside the namespace sees it: `%10u %10u %10u\n` per extent.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        foreach (var e in _extents)
            sb.Append(CultureInfo.InvariantCulture, $"{e.ContainerId,10} {e.HostId,10} {e.Size,10}\n");
        return sb.ToString();
    }
}

/// <summary>
/// The user namespace a container's processes live in, as far as ids go: the uid and gid maps
/// from config.json's linux.uidMappings/gidMappings when it lists a user namespace, else the
/// initial namespace's identity maps (<see cref="Initial"/>). The Sentry's credentials, inodes of
/// its own filesystems and everything it shows are container ids; host ids exist only at the
/// gofer's boundary (<c>Fs/Gofer/GoferInode</c>), translated here.
/// </summary>
public sealed class UserNamespaceMap(IdMap uids, IdMap gids, bool isNew)
{
    /// <summary>No user namespace in config.json: the host's ids, identity maps.</summary>
    public static readonly UserNamespaceMap Initial = new(IdMap.Identity, IdMap.Identity, isNew: false);

    public IdMap Uids { get; } = uids;
    public IdMap Gids { get; } = gids;

    /// <summary>A namespace of the container's own (config.json lists {"type":"user"}).</summary>
    public bool IsNew { get; } = isNew;

    /// <summary>True when nothing needs translating (no namespace, or one mapping every id to itself).</summary>
    public bool IsIdentity => Uids.IsIdentity && Gids.IsIdentity;

    /// <summary>
    /// The host's root as the container sees it: the owner of what the host kernel owns under runc
    /// (device nodes runc bind-mounts from the host, the /proc and /sys roots and system files):
    /// 0 without a user namespace, 65534 when the mapping leaves host root out.
    /// </summary>
    public uint HostRootUid => Uids.ToContainerOrOverflow(0);

    public uint HostRootGid => Gids.ToContainerOrOverflow(0);

    /// <summary>/proc/PID/setgroups: "allow" (runc as root never writes "deny").</summary>
    public string Setgroups => "allow\n";
}
