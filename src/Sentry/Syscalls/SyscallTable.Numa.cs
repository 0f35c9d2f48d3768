using Csrunsc.Sentry.Syscalls.Memory;

namespace Csrunsc.Sentry.Syscalls;

public static partial class SyscallTable
{
    /// <summary>NUMA memory policy: one node, policies kept and reported as Linux keeps them (SysMempolicy).</summary>
    private static void RegisterNuma()
    {
        Full(237, "mbind", SysMempolicy.Mbind);
        Full(238, "set_mempolicy", SysMempolicy.SetMempolicy);
        Full(239, "get_mempolicy", SysMempolicy.GetMempolicy);
    }
}
