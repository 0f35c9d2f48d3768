using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>The driver of /dev/tty (5:0): the caller's controlling terminal, or ENXIO without one.</summary>
public static class DevTty
{
    public static int Open(Inode node, int flags, out FileDescription? file)
    {
        file = null;
        var task = Kernel.Task.Current;
        if (task?.ThreadGroup.Tty is not { } tty) return -Errno.ENXIO;
        return tty.OpenCurrentTty(task, node, flags, out file);
    }
}
