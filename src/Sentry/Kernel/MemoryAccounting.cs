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

    /// <summary>
    /// /proc/vmstat in Linux's names (pages): free, anonymous and shared memory from the figures
    /// above, page faults the Sentry served; no page cache, swap, reclaim or writeback exists in the
    /// sandbox (file data is the gofer's host's), so those counters stay 0. Counters the Sentry has
    /// no figure for (page allocations, NUMA hits) are left out, as a kernel without them does.
    /// </summary>
    public string Vmstat()
    {
        const ulong Page = 4096;
        ulong total = Total / Page, used = Math.Min(Used / Page, total), free = total - used;
        ulong shmem = Math.Min(used, _kernel.Ipc.ShmTotalPages + TmpfsBytes / Page), anon = used - shmem;
        ulong faults = (ulong)Math.Max(0, Volatile.Read(ref _kernel.Faults));
        var sb = new System.Text.StringBuilder();
        void Line(string name, ulong v) => sb.Append(name).Append(' ').Append(v.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        Line("nr_free_pages", free);
        Line("nr_zone_inactive_anon", 0);
        Line("nr_zone_active_anon", anon + shmem);
        Line("nr_zone_inactive_file", 0);
        Line("nr_zone_active_file", 0);
        Line("nr_zone_unevictable", 0);
        Line("nr_zone_write_pending", 0);
        Line("nr_mlock", 0);
        Line("nr_bounce", 0);
        Line("nr_free_cma", 0);
        Line("nr_inactive_anon", 0);
        Line("nr_active_anon", anon + shmem);
        Line("nr_inactive_file", 0);
        Line("nr_active_file", 0);
        Line("nr_unevictable", 0);
        Line("nr_slab_reclaimable", 0);
        Line("nr_slab_unreclaimable", 0);
        Line("nr_isolated_anon", 0);
        Line("nr_isolated_file", 0);
        Line("nr_anon_pages", anon);
        Line("nr_mapped", 0);
        Line("nr_file_pages", shmem); // Linux counts shmem and tmpfs among file pages
        Line("nr_dirty", 0);
        Line("nr_writeback", 0);
        Line("nr_writeback_temp", 0);
        Line("nr_shmem", shmem);
        Line("nr_shmem_hugepages", 0);
        Line("nr_shmem_pmdmapped", 0);
        Line("nr_anon_transparent_hugepages", 0);
        Line("nr_vmscan_write", 0);
        Line("nr_vmscan_immediate_reclaim", 0);
        Line("nr_dirtied", 0);
        Line("nr_written", 0);
        Line("nr_kernel_stack", 0);
        Line("nr_page_table_pages", 0);
        Line("nr_dirty_threshold", 0);
        Line("nr_dirty_background_threshold", 0);
        Line("pgpgin", 0);
        Line("pgpgout", 0);
        Line("pswpin", 0);
        Line("pswpout", 0);
        Line("pgfree", 0);
        Line("pgactivate", 0);
        Line("pgdeactivate", 0);
        Line("pgfault", faults);
        Line("pgmajfault", 0);
        Line("pgrefill", 0);
        Line("pgsteal_kswapd", 0);
        Line("pgsteal_direct", 0);
        Line("pgscan_kswapd", 0);
        Line("pgscan_direct", 0);
        Line("oom_kill", 0);
        Line("pgrotated", 0);
        Line("thp_fault_alloc", 0);
        Line("thp_fault_fallback", 0);
        return sb.ToString();
    }
}
