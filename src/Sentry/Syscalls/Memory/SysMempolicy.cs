using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Memory;

/// <summary>
/// NUMA memory policy (set_mempolicy, get_mempolicy, mbind) for a machine of one node, as gVisor
/// reports it: policies are checked and kept exactly as Linux keeps them (per thread, per VMA) and
/// read back by get_mempolicy, and every page lives on node 0 whatever they say — the only node
/// there is, so no policy can be unmet. Nodemasks follow mm/mempolicy.c: maxnode-1 bits, bits past
/// MAX_NUMNODES must be zero, the rest is intersected with the allowed nodes.
/// </summary>
internal static class SysMempolicy
{
    public const int MPOL_DEFAULT = 0, MPOL_PREFERRED = 1, MPOL_BIND = 2, MPOL_INTERLEAVE = 3, MPOL_LOCAL = 4,
        MPOL_PREFERRED_MANY = 5, MPOL_WEIGHTED_INTERLEAVE = 6, MPOL_MAX = 7;
    public const int MPOL_F_STATIC_NODES = 1 << 15, MPOL_F_RELATIVE_NODES = 1 << 14, MPOL_F_NUMA_BALANCING = 1 << 13,
        MPOL_MODE_FLAGS = MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING;
    public const int MPOL_F_NODE = 1, MPOL_F_ADDR = 2, MPOL_F_MEMS_ALLOWED = 4;
    public const int MPOL_MF_STRICT = 1, MPOL_MF_MOVE = 2, MPOL_MF_MOVE_ALL = 4;

    /// <summary>Node 0 only (nr_node_ids is 1).</summary>
    private const ulong AllowedNodes = 1;
    private const ulong MaxNumNodes = 1024, PageBits = 4096 * 8;

    public static long SetMempolicy(Task t, in SyscallArguments a)
    {
        int r = CopyInPolicy(t, a.Int(0), a.A1, a.A2, out int mode, out int flags, out ulong user);
        if (r < 0) return r;
        r = NewPolicy(mode, flags, user, out int policy, out ulong nodes);
        if (r < 0) return r;
        t.NumaPolicy = policy;
        t.NumaNodes = nodes;
        return 0;
    }

    public static long Mbind(Task t, in SyscallArguments a)
    {
        ulong start = a.A0, length = a.A1, flags = a.A5;
        int r = CopyInPolicy(t, a.Int(2), a.A3, a.A4, out int mode, out int modeFlags, out ulong user);
        if (r < 0) return r;
        if ((flags & ~(ulong)(MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) != 0) return -Errno.EINVAL;
        if ((flags & MPOL_MF_MOVE_ALL) != 0 && !Capabilities.Has(t, Capabilities.SYS_NICE)) return -Errno.EPERM;
        if ((start & 0xFFF) != 0) return -Errno.EINVAL;
        ulong end = start + ((length + 0xFFF) & ~0xFFFUL); // wraps as PAGE_ALIGN does
        if (end < start) return -Errno.EINVAL;
        if (end == start) return 0;
        r = NewPolicy(mode, modeFlags, user, out int policy, out ulong nodes);
        if (r < 0) return r;
        // MPOL_DEFAULT removes the range's policy. Pages need no moving (one node), so
        // MPOL_MF_MOVE and MPOL_MF_STRICT are met as they stand.
        return t.Mm.SetNumaPolicy(start, end, policy, nodes);
    }

    public static long GetMempolicy(Task t, in SyscallArguments a)
    {
        ulong modeAddr = a.A0, maskAddr = a.A1, maxnode = a.A2, addr = a.A3, flags = a.A4;
        if ((flags & ~(ulong)(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED)) != 0) return -Errno.EINVAL;
        if (maskAddr != 0 && maxnode < 1) return -Errno.EINVAL; // less than nr_node_ids
        int mode;
        ulong nodes;
        if ((flags & MPOL_F_MEMS_ALLOWED) != 0)
        {
            if ((flags & (MPOL_F_NODE | MPOL_F_ADDR)) != 0) return -Errno.EINVAL;
            mode = 0;
            nodes = AllowedNodes;
        }
        else
        {
            int policy;
            if ((flags & MPOL_F_ADDR) != 0)
            {
                if (!t.Mm.NumaPolicy(addr, out policy, out nodes)) return -Errno.EFAULT;
            }
            else
            {
                if (addr != 0) return -Errno.EINVAL;
                policy = t.NumaPolicy;
                nodes = t.NumaNodes;
            }
            if ((flags & MPOL_F_NODE) != 0)
            {
                if ((flags & MPOL_F_ADDR) != 0)
                {
                    // The node of the page at addr, faulted in as a read would (always node 0).
                    Span<byte> one = stackalloc byte[1];
                    if (t.CopyIn(addr, one) < 0) return -Errno.EFAULT;
                }
                else if ((policy & ~MPOL_MODE_FLAGS) is not (MPOL_INTERLEAVE or MPOL_WEIGHTED_INTERLEAVE))
                {
                    return -Errno.EINVAL;
                }
                mode = 0; // the next interleave node, or the page's node: node 0
            }
            else
            {
                mode = policy;
            }
            // Linux reports no nodes for the default and local policies.
            if ((policy & ~MPOL_MODE_FLAGS) is MPOL_DEFAULT or MPOL_LOCAL) nodes = 0;
        }
        if (modeAddr != 0 && t.WriteStruct(modeAddr, mode) < 0) return -Errno.EFAULT;
        return maskAddr != 0 ? CopyOutNodes(t, maskAddr, maxnode, nodes) : 0;
    }

    /// <summary>sanitize_mpol_flags and get_nodes: the mode, its flags and the user's nodemask.</summary>
    private static int CopyInPolicy(Task t, int modeWithFlags, ulong maskAddr, ulong maxnode, out int mode, out int flags, out ulong user)
    {
        user = 0;
        flags = modeWithFlags & MPOL_MODE_FLAGS;
        mode = modeWithFlags & ~MPOL_MODE_FLAGS;
        if ((uint)mode >= MPOL_MAX) return -Errno.EINVAL;
        if ((flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)) == (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)) return -Errno.EINVAL;
        if ((flags & MPOL_F_NUMA_BALANCING) != 0 && mode is not (MPOL_BIND or MPOL_PREFERRED_MANY)) return -Errno.EINVAL;
        return CopyInNodes(t, maskAddr, maxnode, out user);
    }

    /// <summary>mpol_new and mpol_set_nodemask: the policy (mode | flags) and the nodemask get_mempolicy reports.</summary>
    private static int NewPolicy(int mode, int flags, ulong user, out int policy, out ulong nodes)
    {
        policy = 0;
        nodes = 0;
        switch (mode)
        {
            case MPOL_DEFAULT:
                return user != 0 ? -Errno.EINVAL : 0;
            case MPOL_PREFERRED when user == 0:
                if ((flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)) != 0) return -Errno.EINVAL;
                policy = MPOL_LOCAL | flags; // an empty preferred set is local allocation (Linux 5.14+)
                return 0;
            case MPOL_LOCAL:
                if (user != 0 || (flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)) != 0) return -Errno.EINVAL;
                policy = MPOL_LOCAL | flags;
                return 0;
        }
        if (user == 0) return -Errno.EINVAL;
        // MPOL_F_RELATIVE_NODES folds the user's nodes onto the allowed ones (with one node: node 0).
        ulong effective = (flags & MPOL_F_RELATIVE_NODES) != 0 ? AllowedNodes : user & AllowedNodes;
        if (effective == 0) return -Errno.EINVAL;
        policy = mode | flags;
        // With any mode flag Linux keeps and reports the user's mask; else the nodes the policy got.
        nodes = flags != 0 ? user : effective;
        return 0;
    }

    /// <summary>get_nodes: the first word of a maxnode-1 bit mask; EINVAL for set bits past MAX_NUMNODES.</summary>
    private static int CopyInNodes(Task t, ulong maskAddr, ulong maxnode, out ulong first)
    {
        first = 0;
        if (maskAddr == 0) return 0;
        ulong bits = maxnode - 1; // maxnode 0 wraps past the limit: EINVAL, as Linux
        if (bits == 0) return 0;
        if (bits > PageBits) return -Errno.EINVAL;
        ulong words = (bits + 63) / 64;
        if (bits > MaxNumNodes)
        {
            for (ulong k = MaxNumNodes / 64; k < words; k++)
            {
                if (t.ReadStruct(maskAddr + k * 8, out ulong w) < 0) return -Errno.EFAULT;
                if (k == words - 1 && bits % 64 != 0) w &= (1UL << (int)(bits % 64)) - 1;
                if (w != 0) return -Errno.EINVAL;
            }
        }
        if (t.ReadStruct(maskAddr, out first) < 0) return -Errno.EFAULT;
        if (bits < 64) first &= (1UL << (int)bits) - 1;
        return 0;
    }

    /// <summary>copy_nodes_to_user: maxnode-1 bits rounded up to words, the words past the node count zeroed.</summary>
    private static int CopyOutNodes(Task t, ulong maskAddr, ulong maxnode, ulong nodes)
    {
        ulong copy = ((maxnode - 1 + 63) & ~63UL) / 8;
        if (copy == 0) return 0;
        if (copy > 8)
        {
            if (copy > 4096) return -Errno.EINVAL;
            for (ulong off = 8; off < copy; off += 8)
                if (t.WriteStruct(maskAddr + off, 0UL) < 0) return -Errno.EFAULT;
        }
        return t.WriteStruct(maskAddr, nodes) < 0 ? -Errno.EFAULT : 0;
    }
}
