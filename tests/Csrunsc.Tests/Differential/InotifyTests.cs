using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// inotify as Linux has it: tests/progs/inotify.c (init flags, add/rm_watch errors and flags, every
/// event and its order for changes made by the program, rename cookies, IN_ONESHOT, IN_MASK_ADD,
/// IN_EXCL_UNLINK, FIONREAD, poll/epoll readiness, a blocked read, IN_Q_OVERFLOW, fanotify refused)
/// on the rootfs and on tmpfs, under runc and csrunsc (same stdout and exit status).
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class InotifyTests(DifferentialFixture fixture)
{
    [RootRequiredTheory]
    [InlineData("/")]
    [InlineData("/dev/shm")]
    public void EventsAndWatchesAsLinux(string dir)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/inotify", dir);
        Assert.Contains("inotify: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
