#!/usr/bin/env python3
"""bench/tty_throughput.py — bytes per second through `exec -t`: `cat` of a file in the container
to the host through the container's terminal, runc vs csrunsc, interleaved round by round.

    sudo bench/tty_throughput.py [--mib 50] [--rounds 3] [--runtimes "runc csrunsc"]

For each runtime: a busybox bundle (tests/assets/make-bundle.sh) running `sleep 1000`, detached;
a MIB MiB file written into its rootfs; then each round this script is the console socket's
receiver of `RUNTIME exec -d -t --console-socket S ID cat /big` (runc takes a console socket only detached), reads the pty master until EIO and
times it from the exec's start to the last byte. The file has no newlines, so ONLCR adds nothing
and the byte count must equal the file size. Prints MiB/s per round and the median.
"""
import argparse, array, os, shutil, socket, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)


def runtime_path(name):
    return os.environ.get("CSRUNSC_BIN", os.path.join(repo, "out", "csrunsc")) if name == "csrunsc" else name


def one_round(rt, root, cid, work, size):
    sock_path = os.path.join(work, "console.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    start = time.monotonic()
    proc = subprocess.Popen([runtime_path(rt), "--root", root, "exec", "-d", "-t", "--console-socket", sock_path, cid, "cat", "/big"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    srv.settimeout(30)
    conn, _ = srv.accept()
    fds = array.array("i")
    _, ancdata, _, _ = conn.recvmsg(256, socket.CMSG_LEN(4 * fds.itemsize))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    conn.close()
    srv.close()
    master = fds[0]
    got = 0
    while True:
        try:
            b = os.read(master, 1 << 16)
        except OSError:  # EIO: the last replica closed
            break
        if not b:
            break
        got += len(b)
    end = time.monotonic()
    os.close(master)
    proc.wait(timeout=60)
    if got != size:
        print(f"{rt}: read {got} bytes, expected {size} (exit {proc.returncode}: {proc.stderr.read().decode().strip()})", file=sys.stderr)
        return None
    return size / (end - start) / (1 << 20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runtimes", default="runc csrunsc")
    a = ap.parse_args()
    size = a.mib << 20
    work = tempfile.mkdtemp(prefix="tty-bench-")
    started = []
    try:
        for rt in a.runtimes.split():
            bundle = os.path.join(work, rt)
            subprocess.run([os.path.join(repo, "tests", "assets", "make-bundle.sh"), bundle, "sleep", "1000"], check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(bundle, "rootfs", "big"), "wb") as f:
                chunk = bytes(range(32, 127)) * 1000
                left = size
                while left > 0:
                    f.write(chunk[: min(left, len(chunk))])
                    left -= min(left, len(chunk))
            root, cid = os.path.join(work, rt + "-state"), "ttybench-" + rt
            subprocess.run([runtime_path(rt), "--root", root, "run", "-d", "--bundle", bundle, cid], check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            started.append((rt, root, cid))
        results = {rt: [] for rt, _, _ in started}
        for r in range(a.rounds):
            for rt, root, cid in started:
                v = one_round(rt, root, cid, work, size)
                results[rt].append(v)
                print(f"round {r + 1} {rt}: " + (f"{v:.1f} MiB/s" if v else "failed"), flush=True)
        print(f"\n`exec -t cat` of {a.mib} MiB, median of {a.rounds}:")
        for rt, vals in results.items():
            ok = [v for v in vals if v]
            print(f"  {rt:8} {statistics.median(ok):8.1f} MiB/s" if ok else f"  {rt:8} failed")
    finally:
        for rt, root, cid in started:
            subprocess.run([runtime_path(rt), "--root", root, "delete", "-f", cid], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
