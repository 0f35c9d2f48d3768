using System.Net.Http;
using Csrunsc.Tests.Integration.Cri.V1;
using Xunit;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>
/// Pods that serve traffic over the CNI network of the test (<see cref="CniNetwork"/>: our own
/// bridge and /24, nothing forwarded off the machine): busybox httpd in a container fetched from
/// the host at the pod's IP, two containers of one pod talking over localhost, and CRI PortForward.
/// runc is the oracle: both runtimes must pass the same assertions. The app containers of a pod
/// get the pod's network namespace as /proc/PAUSEPID/ns/net (the pause container's pid file), so
/// the runtime's pid-file process of the sandbox must be in the pod's namespace, as runc's init is.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class CriNetworkTests(IntegrationFixture fixture)
{
    private const int Port = 8080;
    private static readonly TimeSpan ServeTimeout = TimeSpan.FromSeconds(8);

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public async Task HttpServerInAPodAnswersOnThePodIp(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = new CriSession(session, fixture.Cri);
        var pod = cri.RunPod("http");
        var body = $"hello from {pod.Name}";
        StartHttpd(cri, pod, "web", Port, body);

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(2) }) { Timeout = TimeSpan.FromSeconds(5) };
        var url = $"http://{pod.Ip}:{Port}/index.html";
        string? answer = null;
        string lastError = "";
        session.WaitFor(() =>
        {
            try
            {
                answer = http.GetStringAsync(url).GetAwaiter().GetResult();
                return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                lastError = e.Message;
                return false;
            }
        }, ServeTimeout, () => $"GET {url} from the host never succeeded (last error: {lastError})");
        session.Check(answer == body + "\n", $"GET {url} should return '{body}', returned '{answer}'");

        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void ContainersOfAPodTalkOverLocalhost(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = new CriSession(session, fixture.Cri);
        var pod = cri.RunPod("localhost");
        var body = $"served to the pod {pod.Name}";
        StartHttpd(cri, pod, "server", Port, body);
        var client = cri.RunContainer(pod, CriSession.NewContainerConfig("client", "sleep", "1000"));
        cri.WaitForState(client, ContainerState.ContainerRunning);

        // The client's own network namespace is the pod's: 127.0.0.1 is the server's loopback too.
        // (No `wget -T`: Debian 12's static busybox wget crashes with it.)
        var fetch = cri.ExecSync(client,
            ["sh", "-c", $"for i in $(seq 25); do wget -q -O - http://127.0.0.1:{Port}/index.html && exit 0; sleep 0.2; done; exit 1"], 15);
        session.Check(fetch.ExitCode == 0 && fetch.Stdout.ToStringUtf8() == body + "\n",
            $"wget http://127.0.0.1:{Port}/ in the client container should fetch '{body}' from the server container: exit {fetch.ExitCode}, " +
            $"stdout '{fetch.Stdout.ToStringUtf8()}', stderr '{fetch.Stderr.ToStringUtf8()}'");
        var addresses = cri.ExecSync(client, ["ip", "-4", "-o", "addr", "show"]);
        session.Check(addresses.Stdout.ToStringUtf8().Contains($"inet {pod.Ip}/", StringComparison.Ordinal),
            $"`ip addr` in the client container should show the pod's address {pod.Ip}: exit {addresses.ExitCode}\n{addresses.Stdout.ToStringUtf8()}{addresses.Stderr.ToStringUtf8()}");

        // Nothing leaves the machine: the pod's only routes are its own subnet (no default route).
        var routes = cri.ExecSync(client, ["ip", "-4", "route", "show"]).Stdout.ToStringUtf8();
        session.Check(routes.Contains(cri.Cri.Network.Subnet, StringComparison.Ordinal) && !routes.Contains("default", StringComparison.Ordinal),
            $"the pod should route only its subnet {cri.Cri.Network.Subnet}, with no default route:\n{routes}");

        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public async Task PortForwardReachesAServerInThePod(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = new CriSession(session, fixture.Cri);
        var pod = cri.RunPod("portforward");
        var body = $"forwarded from {pod.Name}";
        StartHttpd(cri, pod, "web", Port, body);
        // Wait until it listens (from inside: PortForward is what is under test).
        var listening = cri.ExecSync(cri.RunContainer(pod, CriSession.NewContainerConfig("probe", "sleep", "1000")),
            ["sh", "-c", $"for i in $(seq 25); do wget -q -O /dev/null http://127.0.0.1:{Port}/index.html && exit 0; sleep 0.2; done; exit 1"], 15);
        session.Check(listening.ExitCode == 0, $"httpd in the pod never answered on 127.0.0.1:{Port}: {listening.Stderr.ToStringUtf8()}");

        for (var run = 1; run <= 3; run++)
        {
            var url = cri.Call("PortForward", o => cri.Client.PortForward(new PortForwardRequest { PodSandboxId = pod.Id, Port = { Port } }, o)).Url;
            var (data, error, ended) = await CriPortForward.ExchangeAsync(url, Port, $"GET /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n", TimeSpan.FromSeconds(10));
            session.Check(data.StartsWith("HTTP/1.", StringComparison.Ordinal) && data.Contains(" 200 ", StringComparison.Ordinal) && data.EndsWith("\r\n\r\n" + body + "\n", StringComparison.Ordinal),
                $"run {run}: an HTTP GET through PortForward (port {Port}) should return 200 with '{body}'; got ({ended}):\n{data}\nerror channel: {error}");
        }

        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }

    /// <summary>Runs busybox httpd in <paramref name="pod"/> on <paramref name="port"/>, serving <paramref name="body"/> as /index.html.</summary>
    private static void StartHttpd(CriSession cri, CriPod pod, string name, int port, string body)
    {
        var config = CriSession.NewContainerConfig(name, "sh", "-c",
            $"mkdir -p /www && echo '{body}' > /www/index.html && exec httpd -f -vv -p {port} -h /www");
        var id = cri.RunContainer(pod, config);
        cri.WaitForState(id, ContainerState.ContainerRunning);
    }
}
