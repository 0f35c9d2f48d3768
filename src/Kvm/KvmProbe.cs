using Csrunsc.Native;

namespace Csrunsc.Kvm;

/// <summary>
/// What the host offers for the KVM platform: /dev/kvm, its API version and the capabilities the
/// platform needs. The platform itself (a ring-0 stub turning guest syscalls into VM exits) is
/// not built yet; this answers `--platform kvm` with the real state of the host.
/// </summary>
public static unsafe class KvmProbe
{
    private const ulong KVM_GET_API_VERSION = 0xAE00, KVM_CHECK_EXTENSION = 0xAE03;
    private const int KVM_CAP_USER_MEMORY = 3, KVM_CAP_EXT_CPUID = 7;

    /// <summary>The API version (12 on every current kernel), or -errno when /dev/kvm cannot be used.</summary>
    public static int ApiVersion(out bool hasUserMemory)
    {
        hasUserMemory = false;
        int fd = Libc.OpenPath("/dev/kvm", Libc.O_RDWR | Libc.O_CLOEXEC);
        if (fd < 0) return -Libc.LastErrno;
        try
        {
            int v = Libc.Ioctl(fd, KVM_GET_API_VERSION, null);
            if (v < 0) return -Libc.LastErrno;
            hasUserMemory = Libc.Ioctl(fd, KVM_CHECK_EXTENSION, (void*)KVM_CAP_USER_MEMORY) > 0
                && Libc.Ioctl(fd, KVM_CHECK_EXTENSION, (void*)KVM_CAP_EXT_CPUID) > 0;
            return v;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>One line for the user: why the KVM platform cannot run here (yet).</summary>
    public static string Describe()
    {
        int v = ApiVersion(out bool caps);
        if (v < 0) return $"platform kvm: /dev/kvm is not usable on this host ({Errno.Name(-v)}); use --platform ptrace";
        return $"platform kvm: /dev/kvm is present (API {v}, user memory and CPUID {(caps ? "supported" : "missing")}) but the KVM platform is not implemented yet; use --platform ptrace";
    }
}
