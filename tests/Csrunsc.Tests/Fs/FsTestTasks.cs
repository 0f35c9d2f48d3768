using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Tests.Fs;

/// <summary>Builds kernel objects for filesystem tests: tasks that can block, without a platform or memory.</summary>
internal static class FsTestTasks
{
    public static Kernel NewKernel() => new(null!, null!, new MountTable(), null!);

    public static Task NewTask(Kernel kernel, int tid)
    {
        var group = new ThreadGroup(kernel, tid, null, new SignalHandlers(), Credentials.Of(0, 0, []));
        var task = new Task(kernel, group, tid, null!, new FdTable(), null!);
        group.AddTask(task);
        return task;
    }
}
