using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// The guest's view of memory, shared by /proc/meminfo and sysinfo(2) as gVisor reports it: the
/// total is the host's RAM, capped by the container's memory limit when config.json sets one (what
/// runsc's --total-memory takes from the spec); "used" is what the sandbox's memory file holds
/// (its allocated blocks), so a workload sizing itself from free memory sees its own sandbox, not
/// the host's page cache. Swap is the host's.
/// </summary>
public sealed class MemoryAccounting
{
    private readonly Kernel _kernel;

    public MemoryAccounting(Kernel kernel) => _kernel = kernel;

    /// <summary>Host MemTotal (bytes; from its /proc/meminfo at boot), 4 GiB when unknown.</summary>
    public ulong HostTotal { get; set; } = 4UL << 30;

    public ulong SwapTotal { get; set; }
    public ulong SwapFree { get; set; }

    /// <summary>linux.resources.memory.limit, when set (0: none).</summary>
    public ulong ContainerLimit { get; set; }

    public ulong Total => ContainerLimit != 0 && ContainerLimit < HostTotal ? ContainerLimit : HostTotal;

    /// <summary>Bytes the memory file has allocated (anonymous memory, SysV shm, private file copies).</summary>
    public unsafe ulong MemoryFileBytes
    {
        get
        {
            StatBuf st;
            return _kernel.MemoryFile is { } file && Libc.FStat(file.Fd, &st) == 0 ? (ulong)st.Blocks * 512 : 0;
        }
    }

    /// <summary>tmpfs file data (its own chunks and memfds, outside the memory file), as Linux counts it in Shmem.</summary>
    public static ulong TmpfsBytes => (ulong)Math.Max(0, Fs.Tmpfs.TmpfsFileData.AllChargedBytes);

    /// <summary>Everything the sandbox holds for the guest.</summary>
    public ulong Used => MemoryFileBytes + TmpfsBytes;

    public ulong Free => Math.Max(Total, Used) - Used;

    /// <summary>/proc/meminfo in Linux's layout (kB), from the figures above.</summary>
    public string Meminfo()
    {
        ulong total = Total / 1024, used = Math.Min(Used / 1024, total), free = total - used;
        ulong shmem = Math.Min(used, _kernel.Ipc.ShmTotalPages * 4 + TmpfsBytes / 1024);
        var sb = new System.Text.StringBuilder();
        void Line(string name, ulong kb) => sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"{name + ":",-16}{kb,8} kB\n");
        Line("MemTotal", total);
        Line("MemFree", free);
        Line("MemAvailable", free);
        Line("Buffers", 0);
        Line("Cached", 0);
        Line("SwapCached", 0);
        Line("Active", used);
        Line("Inactive", 0);
        Line("Active(anon)", used);
        Line("Inactive(anon)", 0);
        Line("Active(file)", 0);
        Line("Inactive(file)", 0);
        Line("Unevictable", 0);
        Line("Mlocked", 0);
        Line("SwapTotal", SwapTotal / 1024);
        Line("SwapFree", SwapFree / 1024);
        Line("Dirty", 0);
        Line("Writeback", 0);
        Line("AnonPages", used - shmem);
        Line("Mapped", 0);
        Line("Shmem", shmem);
        Line("CommitLimit", total / 2 + SwapTotal / 1024);
        Line("Committed_AS", used);
        return sb.ToString();
    }
}
