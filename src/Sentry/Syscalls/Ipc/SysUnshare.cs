using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Kernel.Ipc;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Ipc;

/// <summary>
/// unshare(2) of what the Sentry can give a task its own copy of: the fd table, the fs context
/// (root, cwd, umask), the IPC namespace and the SEM_UNDO list. Other namespaces are refused (EPERM).
/// </summary>
internal static class SysUnshare
{
    private const ulong CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SYSVSEM = 0x40000, CLONE_NEWIPC = 0x8000000;

    public static long Unshare(Task t, in SyscallArguments a)
    {
        ulong flags = a.A0;
        t.Kernel.ArgumentUse.Unshare(flags);
        if ((flags & ~(CLONE_NEWIPC | CLONE_SYSVSEM | CLONE_FILES | CLONE_FS)) != 0) return -Errno.EPERM;
        if ((flags & CLONE_NEWIPC) != 0)
        {
            if (!Capabilities.Has(t, Capabilities.SYS_ADMIN)) return -Errno.EPERM;
            flags |= CLONE_SYSVSEM;
        }
        if ((flags & CLONE_SYSVSEM) != 0)
        {
            // exit_sem(): the undo list is dropped (and applied if nobody else shares it).
            var tg = t.ThreadGroup;
            tg.SemUndo?.Release(tg.Tgid);
            tg.SemUndo = null;
        }
        if ((flags & CLONE_FILES) != 0) t.UnshareFds();
        if ((flags & CLONE_FS) != 0) t.Fs = t.Fs.Clone();
        if ((flags & CLONE_NEWIPC) != 0) t.IpcNs = new IpcNamespace(t.Kernel.MemoryFile);
        return 0;
    }
}
