using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Workloads;

/// <summary>
/// Real programs that depend on enforced file locks: concurrent sqlite3 writers on one WAL
/// database (fcntl locks on the database and its -shm file, shared mmap of the -shm file),
/// flock(1) mutual exclusion, python's fcntl.lockf across processes.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class FileLockWorkloadTests(DifferentialFixture fixture)
{
    [RootRequiredTheory]
    [InlineData("/root")] // rootfs (gofer)
    [InlineData("/tmp")] // tmpfs
    public void TwoSqliteWritersOnOneWalDatabaseLoseNoRows(string dir)
    {
        DebianBundle.RequireProgram("sqlite3", "sqlite3");
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, $$"""
            cd {{dir}}
            sqlite3 t.db 'PRAGMA journal_mode=WAL; CREATE TABLE t(w INTEGER, i INTEGER);'
            writer() { for i in $(seq 1 2000); do echo "INSERT INTO t VALUES($1, $i);"; done | sqlite3 -cmd '.timeout 60000' t.db; }
            writer 1 & writer 2 & wait
            sqlite3 t.db 'SELECT w, count(*), sum(i) FROM t GROUP BY w ORDER BY w; PRAGMA integrity_check; PRAGMA journal_mode;'
            """);
        Assert.Equal("wal\n1|2000|2001000\n2|2000|2001000\nok\nwal\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void FlockCommandExcludesAndPythonLockfAcrossProcesses()
    {
        DebianBundle.RequireProgram("flock", "util-linux");
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            : > /tmp/lk
            exec 9</tmp/lk; flock -x 9
            flock -n /tmp/lk true; echo "while held: $?"
            ( flock -x 8; echo "second got it" ) 8</tmp/lk & sleep 0.3; echo "releasing"; flock -u 9; wait
            flock -n /tmp/lk true; echo "after release: $?"
            python3 -c '
            import fcntl, os
            f = open("/tmp/pl", "w"); fcntl.lockf(f, fcntl.LOCK_EX, 10, 0)
            pid = os.fork()
            if pid == 0:
                g = open("/tmp/pl", "w")
                for start in (5, 10):
                    try:
                        fcntl.lockf(g, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, start); print("child locked", start, flush=True)
                    except OSError as e:
                        print("child refused", start, e.errno, flush=True)
                os._exit(0)
            os.waitpid(pid, 0)
            '
            """);
        Assert.Equal("while held: 1\nreleasing\nsecond got it\nafter release: 0\nchild refused 5 11\nchild locked 10\n", runc.Stdout);
    }
}
