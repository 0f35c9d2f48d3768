using System.Net.Sockets;
using Csrunsc.Tests.Integration.Cri.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>
/// A CRI v1 client (what kubelet or crictl would be): gRPC over containerd's unix socket, HTTP/2
/// without TLS through a <see cref="SocketsHttpHandler"/> whose ConnectCallback dials the socket.
/// Calls go through <see cref="Call{T}"/>, which gives each a deadline and turns a failure into an
/// exception naming the call.
/// </summary>
public sealed class CriClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public CriClient(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 32 * 1024 * 1024,
        });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);
    }

    public string SocketPath { get; }
    public RuntimeService.RuntimeServiceClient Runtime { get; }
    public ImageService.ImageServiceClient Images { get; }

    /// <summary>Deadline for one call.</summary>
    public static CallOptions Within(TimeSpan timeout) => new(deadline: DateTime.UtcNow + timeout);

    /// <summary>Runs one call (<paramref name="what"/> names it in errors) with a deadline of <paramref name="timeout"/>.</summary>
    public static T Call<T>(string what, TimeSpan timeout, Func<CallOptions, T> call)
    {
        try
        {
            return call(Within(timeout));
        }
        catch (RpcException e)
        {
            throw new CriCallException(what, e);
        }
    }

    public void Dispose() => _channel.Dispose();
}

/// <summary>A CRI call failed: the call, the gRPC status and containerd's message.</summary>
public sealed class CriCallException(string call, RpcException inner)
    : Exception($"CRI {call} failed: {inner.StatusCode} {inner.Status.Detail}", inner)
{
    public string CallName { get; } = call;
    public StatusCode StatusCode { get; } = inner.StatusCode;
}
