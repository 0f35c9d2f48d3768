using Csrunsc.Native;

namespace Csrunsc.Kvm;

/// <summary>What the host offers for the KVM platform: /dev/kvm, its API version and the capabilities the platform needs.</summary>
public static unsafe class KvmProbe
{
    /// <summary>The API version (12 on every current kernel), or -errno when /dev/kvm cannot be used.</summary>
    public static int ApiVersion(out bool hasCapabilities)
    {
        hasCapabilities = false;
        int fd = Libc.OpenPath("/dev/kvm", Libc.O_RDWR | Libc.O_CLOEXEC);
        if (fd < 0) return -Libc.LastErrno;
        try
        {
            int v = Libc.Ioctl(fd, KvmAbi.KVM_GET_API_VERSION, null);
            if (v < 0) return -Libc.LastErrno;
            hasCapabilities = true;
            foreach (int cap in new[] { KvmAbi.KVM_CAP_USER_MEMORY, KvmAbi.KVM_CAP_EXT_CPUID, KvmAbi.KVM_CAP_IMMEDIATE_EXIT, KvmAbi.KVM_CAP_SYNC_REGS, KvmAbi.KVM_CAP_XSAVE })
                hasCapabilities &= Libc.Ioctl(fd, KvmAbi.KVM_CHECK_EXTENSION, (void*)cap) > 0;
            return v;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Null when the KVM platform can run here; else one line for the user saying why not.</summary>
    public static string? WhyUnusable()
    {
        int v = ApiVersion(out bool caps);
        if (v < 0) return $"platform kvm: /dev/kvm is not usable on this host ({Errno.Name(-v)}); use --platform ptrace";
        if (v != 12 || !caps) return $"platform kvm: /dev/kvm (API {v}) lacks what the KVM platform needs (user memory, CPUID, immediate exit, sync regs, XSAVE); use --platform ptrace";
        return null;
    }
}
