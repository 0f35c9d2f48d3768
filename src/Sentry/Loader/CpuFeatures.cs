using System.Runtime.Intrinsics.X86;

namespace Csrunsc.Sentry.Loader;

/// <summary>AT_HWCAP for x86-64: CPUID leaf 1 EDX, as Linux reports it.</summary>
public static class CpuFeatures
{
    public static readonly ulong Hwcap = X86Base.IsSupported ? (ulong)(uint)X86Base.CpuId(1, 0).Edx : 0;
}
