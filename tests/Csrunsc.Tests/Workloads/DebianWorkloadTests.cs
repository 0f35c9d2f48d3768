using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Workloads;

/// <summary>
/// Real, unmodified Debian programs (dynamically linked, through ld.so) from the host's /usr:
/// same stdout and exit status under runc and csrunsc. Outputs are made deterministic (fixed
/// dates, sorted results) so that only the runtime differs.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class DebianWorkloadTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void CoreutilsListSortCountHash()
    {
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            ls -la /usr/share/doc | head
            ls /usr/bin | sort -r | head -n 3
            seq 1 5000 | sort -R --random-source=/usr/bin/ls | sort -n | uniq | wc -l
            printf 'b\na\nc\na\n' | sort | uniq -c
            head -c 100000 /usr/bin/bash | sha256sum
            echo "hello world" | tr a-z A-Z | cut -d' ' -f2
            stat -c '%s %F' /etc/passwd
            date -u -d @86400 '+%Y-%m-%d %H:%M:%S'
            id -u; id -gn
            mkdir -p /tmp/d/e && touch /tmp/d/e/f && cp -r /tmp/d /tmp/d2 && find /tmp/d2 | sort && rm -r /tmp/d /tmp/d2
            exit 3
            """);
        Assert.Equal(3, runc.ExitCode);
        Assert.Contains("5000\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("1970-01-02 00:00:00\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ProcpsVmstatAndFreeReadTheSandboxsCounters()
    {
        // The figures are the sandbox's (not the host's), so only the shape is compared: vmstat
        // failed outright before /proc/vmstat and get_mempolicy existed.
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            vmstat 1 2 | head -n 2
            vmstat 1 2 | awk 'NR > 2 { print NF }'
            vmstat -s | sed 's/^ *[0-9]* //'
            free -k | awk '{ print $1, NF }'
            awk '$1 == "pgfault" { print $1, ($2 > 0) }' /proc/vmstat
            """);
        Assert.Contains("K paged in\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("pgfault 1\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void BashPipelinesSubshellsAndJobs()
    {
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            set -o pipefail
            for i in $(seq 1 200); do echo "line $((i * 7 % 13)) $i"; done | sort -k2,2n -k3,3n | awk '{s += $3} END {print NR, s}'
            x=$(echo sub | (read v; echo "got $v")); echo "$x"
            (sleep 0.1; echo bg1) & (echo bg2) & wait; echo waited
            declare -A m=([k]=v [a]=b); for k in $(echo "${!m[@]}" | tr ' ' '\n' | sort); do echo "$k=${m[$k]}"; done
            trap 'echo trapped' USR1; kill -USR1 $$; echo after
            false | true; echo "pipefail $?"
            cat <<< "here string" | wc -c
            exec 3>/tmp/f; echo fd3 >&3; exec 3>&-; cat /tmp/f
            """);
        Assert.Contains("200 20100\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("trapped\nafter\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void UtilLinuxIpcmkIpcsIpcrm()
    {
        // ipcmk picks random keys: the key column is left out. Ids are the fresh namespace's (0, 1, ...).
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            ipcmk -M 8192 -p 0640; ipcmk -S 4 -p 0600; ipcmk -Q -p 0660
            ipcs -m | awk 'NR > 3 && NF { print $2, $3, $4, $5, $6 }'
            ipcs -s | awk 'NR > 3 && NF { print $2, $3, $4, $5 }'
            ipcs -q | awk 'NR > 3 && NF { print $2, $3, $4, $5, $6 }'
            ipcs -l
            ipcrm -m 0 -s 0 -q 0; echo "ipcrm $?"
            ipcs -a | grep -c '^0x' || true
            """);
        Assert.Contains("0 root 640 8192 0\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("max ops per semop call = 500\n", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// Programs that make their own terminal on the Sentry's ptys (issue 10): util-linux script(1)
    /// running a shell on a new pty (its name, the default 0x0 size, a size set inside, the
    /// command's status with -e); the copies keep the pty's \r\n. python3's pty.spawn: <see cref="Python3PtySpawn"/>.
    /// </summary>
    [RootRequiredFact]
    public void ScriptOnItsOwnPty()
    {
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            script -qc 'tty; stty size' /dev/null </dev/null | od -c
            script -qc 'stty rows 30 cols 100; stty size; tty <&2' /dev/null </dev/null | od -c
            script -qec 'exit 5' /dev/null </dev/null; echo "script status $?"
            """);
        Assert.Contains("script status 5\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("/   d   e   v   /   p   t   s   /   0  \\r  \\n   0       0  \\r", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// python3's pty.spawn (os.forkpty on the Sentry's ptys, the parent copying its stdio to and from
    /// the master): with stdin on /dev/null (was a traceback at tcgetattr(0) through the pty, a fork
    /// memory bug since fixed), and with a line arriving a second late on a stdin pipe, echoed by the
    /// pty; the child's status back through pty.spawn.
    /// </summary>
    [RootRequiredFact]
    public void Python3PtySpawn()
    {
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            python3 -c 'import os, pty; st = pty.spawn(["sh", "-c", "tty; stty size; echo out; exit 3"]); print("status", os.waitstatus_to_exitcode(st))' </dev/null | cat -v
            (sleep 1; echo hello) | python3 -c 'import os, pty; st = pty.spawn(["sh", "-c", "read x; echo got=$x; exit 4"]); print("status", os.waitstatus_to_exitcode(st))' | cat -v
            """);
        Assert.Equal("/dev/pts/0^M\n0 0^M\nout^M\nstatus 3\nhello^M\ngot=hello^M\nstatus 4\n", runc.Stdout);
    }

    /// <summary>
    /// A detached tmux server (issue 10): its sessions' panes are Sentry ptys it opens itself;
    /// `tmux ls`, send-keys typed into a shell's pane, capture-pane of what it shows (`tty`, `stty
    /// size`), C-c interrupting a pane's `sleep`, resize-window reaching the pane as its size.
    /// </summary>
    [RootRequiredFact]
    public void TmuxDetachedServer()
    {
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            export TERM=xterm
            shows() { for i in $(seq 100); do tmux capture-pane -p -t y | grep -q -- "$1" && return 0; sleep 0.1; done; echo "never showed $1"; }
            tmux new -d -s x -x 80 -y 24 'sleep 30'; echo "new $?"
            tmux ls -F '#{session_name} #{session_windows} #{window_width}x#{window_height}'
            tmux new -d -s y -x 60 -y 10 'PS1="P> " sh'
            shows '^P>'
            tmux send-keys -t y 'echo hi-$((3*4)); tty; stty size' Enter
            shows '^10 60$'
            tmux send-keys -t y 'sleep 100' Enter; sleep 0.5; tmux send-keys -t y C-c
            tmux send-keys -t y 'echo st=$?' Enter
            shows '^st='
            tmux capture-pane -p -t y | grep -v '^$'
            tmux resize-window -t y -x 70 -y 12
            tmux send-keys -t y 'clear; stty size' Enter
            shows '^12 70$'
            tmux capture-pane -p -t y | grep -v '^$'
            tmux list-panes -a -F '#{session_name} #{pane_width}x#{pane_height} #{pane_tty}'
            tmux kill-server; echo "kill $?"
            """);
        Assert.Contains("x 1 80x24\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("^C\nP> echo st=$?\nst=130\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("y 70x12 /dev/pts/1\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void Python3JsonThreadPoolAndLocks()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["python3", "-c", """
            import json, os, threading, hashlib
            from concurrent.futures import ThreadPoolExecutor
            def work(i):
                return hashlib.sha256(str(i).encode()).hexdigest()[:8], sum(range(i * 1000))
            with ThreadPoolExecutor(max_workers=4) as pool:
                results = list(pool.map(work, range(32)))
            lock = threading.Lock()
            cond = threading.Condition(lock)
            counter = [0]
            def bump():
                for _ in range(2000):
                    with lock:
                        counter[0] += 1
                        cond.notify_all()
            threads = [threading.Thread(target=bump) for _ in range(8)]
            for t in threads: t.start()
            with cond:
                cond.wait_for(lambda: counter[0] == 16000, timeout=30)
            for t in threads: t.join()
            print(json.dumps({"first": results[:3], "total": sum(r[1] for r in results), "counter": counter[0],
                              "cwd": os.getcwd(), "threads": threading.active_count()}, sort_keys=True))
            """]);
        Assert.Contains("\"counter\": 16000", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void Python3SubprocessForkAndMultiprocessing()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["python3", "-c", """
            import multiprocessing as mp, os, subprocess
            def square(x):
                return x * x
            def add(shared, n):
                for _ in range(n):
                    with shared.get_lock():
                        shared.value += 1
            if __name__ == "__main__":
                print(subprocess.run(["sh", "-c", "echo from sh; exit 4"], capture_output=True, text=True))
                pid = os.fork()
                if pid == 0:
                    os._exit(5)
                print("child status", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
                with mp.Pool(3) as pool:
                    print(pool.map(square, range(12)))
                shared = mp.Value("i", 0)
                procs = [mp.Process(target=add, args=(shared, 300)) for _ in range(3)]
                for p in procs: p.start()
                for p in procs: p.join()
                print("shared", shared.value, [p.exitcode for p in procs])
            """]);
        Assert.Contains("shared 900 [0, 0, 0]", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void Python3SelectorsEpollOverPipes()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["python3", "-c", """
            import os, selectors, threading, time
            sel = selectors.DefaultSelector()
            print(type(sel).__name__)
            pipes = [os.pipe() for _ in range(3)]
            for i, (r, w) in enumerate(pipes):
                sel.register(r, selectors.EVENT_READ, i)
            print("idle", sel.select(timeout=0))
            def writer():
                time.sleep(0.05)
                os.write(pipes[1][1], b"one")
            threading.Thread(target=writer).start()
            print("woken", [(key.data, events) for key, events in sel.select(timeout=10)])
            os.write(pipes[0][1], b"zero"); os.close(pipes[2][1])
            ready = sorted((key.data, events) for key, events in sel.select(timeout=1))
            print("ready", ready, [os.read(pipes[i][0], 10) for i, _ in ready])
            """]);
        Assert.StartsWith("EpollSelector\nidle []\nwoken [(1, 1)]\nready [(0, 1), (1, 1), (2, 1)]", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void Python3AsyncioOverSocketPairs()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["python3", "-c", """
            import asyncio, os, socket
            a, b = socket.socketpair()
            a.sendall(b"ping"); print(b.recv(10))
            print(a.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM, a.family == socket.AF_UNIX)
            if os.fork() == 0:
                b.close(); a.sendall(b"from child"); os._exit(0)
            a.close(); os.wait()
            print(b.recv(20), b.recv(20))
            async def echo(reader, writer):
                writer.write((await reader.read(100)).upper()); await writer.drain(); writer.close()
            async def main():
                x, y = socket.socketpair()
                asyncio.ensure_future(echo(*await asyncio.open_connection(sock=x)))
                r, w = await asyncio.open_connection(sock=y)
                w.write(b"hello asyncio"); await w.drain()
                print(await r.read(100))
                await asyncio.gather(*(asyncio.sleep(0.01, i) for i in range(3)))
                return "done"
            print(asyncio.run(main()))
            """]);
        Assert.Equal("b'ping'\nTrue True\nb'from child' b''\nb'HELLO ASYNCIO'\ndone\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void Python3UnixStreamServerAbstractNamesAndPassedDescriptors()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["python3", "-c", """
            import os, socket, socketserver, stat, threading
            class Upper(socketserver.StreamRequestHandler):
                def handle(self):
                    for line in self.rfile:
                        self.wfile.write(line.upper())
            path = "/tmp/echo.sock"
            srv = socketserver.UnixStreamServer(path, Upper)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            st = os.stat(path)
            print(stat.S_ISSOCK(st.st_mode), oct(st.st_mode & 0o777))
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                c.connect(path)
                f = c.makefile("rwb")
                for line in (b"hello\n", b"unix sockets\n"):
                    f.write(line); f.flush(); print(f.readline())
                print(c.getpeername(), repr(c.getsockname()))
            class Threaded(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
                daemon_threads = True
            ts = Threaded("/tmp/threads.sock", Upper)
            threading.Thread(target=ts.serve_forever, daemon=True).start()
            out = {}
            def client(i):
                with socket.socket(socket.AF_UNIX) as c:
                    c.connect("/tmp/threads.sock"); c.sendall(b"client %d\n" % i); out[i] = c.makefile("rb").readline()
            clients = [threading.Thread(target=client, args=(i,)) for i in range(8)]
            for t in clients: t.start()
            for t in clients: t.join()
            print(sorted(out.values()))
            lsn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); lsn.bind("\0py-abstract"); lsn.listen()
            cl = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); cl.connect("\0py-abstract")
            conn, _ = lsn.accept()
            r, w = os.pipe()
            socket.send_fds(cl, [b"pipe"], [r])
            msg, fds, flags, addr = socket.recv_fds(conn, 100, 4)
            os.write(w, b"through the passed pipe")
            print(msg, len(fds), os.read(fds[0], 100), conn.getsockname(), cl.getpeername())
            d1 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d1.bind("/tmp/d1.sock")
            d2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d2.bind("/tmp/d2.sock")
            d2.sendto(b"datagram", "/tmp/d1.sock")
            print(d1.recvfrom(100))
            os.unlink(path)
            print(os.path.exists(path), sorted(n for n in os.listdir("/tmp") if n.endswith(".sock")))
            """]);
        Assert.StartsWith("True 0o755\nb'HELLO\\n'\nb'UNIX SOCKETS\\n'\n/tmp/echo.sock ''\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("b'pipe' 1 b'through the passed pipe' b'\\x00py-abstract'", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void PerlHashesRegexForkAndPipes()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["perl", "-e", """
            use strict; use warnings; use POSIX qw(floor); use List::Util qw(sum);
            my %h = map { $_ => length($_) } qw(alpha beta gamma delta);
            print join(",", map { "$_=$h{$_}" } sort keys %h), "\n";
            my $text = "a1b22c333"; my @nums = $text =~ /(\d+)/g; print sum(@nums), "\n";
            my $pid = fork(); if (!$pid) { exit 7 } waitpid($pid, 0); print "child ", $? >> 8, "\n";
            open(my $fh, "-|", "printf 'x\\ny\\n' | sort -r") or die; print <$fh>; close $fh;
            printf("%.3f %d\n", 22 / 7, floor(-2.5));
            """]);
        Assert.StartsWith("alpha=5,beta=4,delta=5,gamma=5\n356\nchild 7\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void Sqlite3InMemoryAndFileDatabase()
    {
        DebianBundle.RequireProgram("sqlite3", "sqlite3");
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            sqlite3 :memory: 'create table t(a, b); insert into t values (1, 2), (3, 4); select a + b from t order by 1;'
            sqlite3 /tmp/db "create table t(a integer primary key, b text); create index i on t(b);
              with recursive c(x) as (select 1 union all select x + 1 from c where x < 500) insert into t(b) select 'v' || (x % 7) from c;"
            sqlite3 /tmp/db "select b, count(*) from t group by b order by b; pragma integrity_check;"
            sqlite3 -json /tmp/db "select * from t where a <= 2"
            """);
        Assert.StartsWith("3\n7\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("ok\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void GccCompilesLinksAndRuns()
    {
        DebianBundle.RequireProgram("gcc", "gcc");
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            set -e
            printf '#include <stdio.h>\nint twice(int);\nint main(void) { printf("hello %%d\\n", twice(21)); return 0; }\n' > /tmp/main.c
            printf 'int twice(int x) { return 2 * x; }\n' > /tmp/twice.c
            gcc -O2 -c -o /tmp/twice.o /tmp/twice.c
            gcc -O2 -Wall -o /tmp/x /tmp/main.c /tmp/twice.o
            /tmp/x
            """);
        Assert.Equal("hello 42\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void GitInitCommitBranchLog()
    {
        DebianBundle.RequireProgram("git", "git");
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            set -e
            export GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z
            git init -q -b main /tmp/r && cd /tmp/r
            git config user.email t@example.com && git config user.name Tester
            seq 1 100 > numbers && git add numbers && git commit -q -m first
            git checkout -q -b topic && sed -i 's/^50$/fifty/' numbers && git commit -q -am second
            git checkout -q main && git merge -q --no-edit topic
            git log --oneline --all
            git diff --stat HEAD~1 HEAD
            git status --short && git cat-file -p HEAD | head -n 1
            """);
        Assert.Contains("second\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void StaticPthreadsMutexConditionJoin()
    {
        var binary = Path.Join(fixture.ScratchDir, "threads_mutex_cond");
        lock (fixture)
        {
            if (!File.Exists(binary))
            {
                HostCommand.Run("gcc", "-static", "-pthread", "-O1", "-Wall", "-o", binary,
                    Path.Join(RepositoryLayout.ProgramsDir, "threads_mutex_cond.c"));
            }
        }

        var (runc, _) = WorkloadAssert.SameStdoutAndExit(
            fixture, ["/threads_mutex_cond"], new Dictionary<string, string> { ["threads_mutex_cond"] = binary });
        Assert.Equal(0, runc.ExitCode);
        Assert.EndsWith("counter 160000 sum 160000 main tls 0\n", runc.Stdout, StringComparison.Ordinal);
    }
}
