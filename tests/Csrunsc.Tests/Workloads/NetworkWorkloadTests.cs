using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Workloads;

/// <summary>
/// Debian programs serving and fetching over the container's own network namespace (new, with
/// loopback up in both runtimes): python's http.server and urllib over 127.0.0.1 and ::1, UDP
/// echo, getent through netlink, iproute2, and a pre-forked SO_REUSEPORT server taking 1,000
/// connections.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class NetworkWorkloadTests(DifferentialFixture fixture)
{
    private static readonly Action<JsonObject> NewNetns = BundleConfig.AddNetworkNamespace;

    [RootRequiredFact]
    public void PythonHttpServerAndUrllibOverIpv4AndIpv6()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["python3", "-c", """
            import http.server, socket, threading, urllib.request, os
            os.makedirs('/tmp/www', exist_ok=True)
            open('/tmp/www/index.html', 'w').write('hello from the pod\n')
            os.chdir('/tmp/www')
            class V6(http.server.ThreadingHTTPServer):
                address_family = socket.AF_INET6
            class Quiet(http.server.SimpleHTTPRequestHandler):
                def log_message(self, *a): pass
            for cls, host, url in [(http.server.ThreadingHTTPServer, '127.0.0.1', 'http://127.0.0.1:%d/'), (V6, '::1', 'http://[::1]:%d/')]:
                srv = cls((host, 0), Quiet)
                port = srv.server_address[1]
                threading.Thread(target=srv.serve_forever, daemon=True).start()
                for i in range(3):
                    with urllib.request.urlopen(url % port + 'index.html') as r:
                        print(host, r.status, r.read().decode().strip())
                try:
                    urllib.request.urlopen(url % port + 'missing')
                except urllib.error.HTTPError as e:
                    print(host, 'missing', e.code)
                srv.shutdown()
            """], editConfig: NewNetns);
        Assert.Contains("::1 200 hello from the pod\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1 missing 404\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void PythonUdpEchoOverIpv4AndIpv6()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["python3", "-c", """
            import socket
            for fam, host in [(socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')]:
                srv = socket.socket(fam, socket.SOCK_DGRAM); srv.bind((host, 0))
                cli = socket.socket(fam, socket.SOCK_DGRAM); cli.settimeout(5)
                for i in range(5):
                    cli.sendto(b'ping %d' % i, srv.getsockname())
                    data, peer = srv.recvfrom(100)
                    srv.sendto(data.upper(), peer)
                    print(host, cli.recvfrom(100)[0].decode())
            """], editConfig: NewNetns);
        Assert.Contains("::1 PING 4\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void GetentIproute2AndProcNet()
    {
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            getent ahosts localhost | sort
            getent hosts 127.0.0.1
            ip -o addr show | awk '{print $2, $3, $4}'
            ip -o link show | awk '{print $2, $3}'
            ip route show table local | sort
            python3 -c "import socket; print(sorted({a[4][0] for a in socket.getaddrinfo('localhost', 80, flags=socket.AI_ADDRCONFIG)}))"
            python3 -c "import socket; print(socket.if_nameindex())"
            awk 'NR > 2 {print $1}' /proc/net/dev
            """, editConfig: NewNetns);
        Assert.Contains("lo inet 127.0.0.1/8", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("[(1, 'lo')]", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void PreforkedReuseportServerTakesAThousandConnections()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["python3", "-c", """
            import os, socket, sys
            probe = socket.socket(); probe.bind(('127.0.0.1', 0)); port = probe.getsockname()[1]; probe.close()
            workers = []
            for w in range(4):
                pid = os.fork()
                if pid == 0:
                    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                    s.bind(('127.0.0.1', port)); s.listen(64)
                    while True:
                        c, _ = s.accept()
                        data = c.recv(100)
                        if data == b'quit':
                            c.close(); os._exit(0)
                        c.sendall(b'ok ' + data); c.close()
                workers.append(pid)
            import time
            ok = errors = 0
            for i in range(1000):
                for attempt in range(50):
                    try:
                        c = socket.create_connection(('127.0.0.1', port), timeout=10); break
                    except ConnectionRefusedError:
                        time.sleep(0.02)
                c.sendall(b'%d' % i)
                reply = b''
                while True:
                    chunk = c.recv(100)
                    if not chunk: break
                    reply += chunk
                c.close()
                if reply == b'ok %d' % i: ok += 1
                else: errors += 1
            left = set(workers)
            while left:
                try:
                    c = socket.create_connection(('127.0.0.1', port)); c.sendall(b'quit'); c.close()
                except ConnectionRefusedError:
                    pass
                pid, _ = os.waitpid(-1, 0)
                left.discard(pid)
            print('requests', ok, 'errors', errors)
            """], editConfig: NewNetns);
        Assert.Equal("requests 1000 errors 0\n", runc.Stdout);
    }
}
