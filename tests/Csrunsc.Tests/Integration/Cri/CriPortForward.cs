using System.Net.WebSockets;
using System.Text;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>
/// The client side of a CRI PortForward stream over WebSocket ("v4.channel.k8s.io", the port in
/// the query: URL?port=N): one connection to port N inside the pod's network namespace
/// (containerd dials localhost:N there). Channel 0 carries the data both ways, channel 1 the
/// server's error text; the server's first message on each channel is the port as a little-endian
/// uint16. The stream ends when the pod side closes the connection.
/// </summary>
public static class CriPortForward
{
    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="port"/> and collects what comes back until
    /// the pod side closes (or <paramref name="timeout"/>). Returns (data, error text, how it ended).
    /// </summary>
    public static async Task<(string Data, string Error, string Ended)> ExchangeAsync(string url, int port, string request, TimeSpan timeout)
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(CriStream.Protocol);
        var uri = new UriBuilder(url) { Query = $"port={port}" };
        uri.Scheme = uri.Scheme == "https" ? "wss" : "ws";
        using var cancel = new CancellationTokenSource(timeout);
        var data = new MemoryStream();
        var error = new MemoryStream();
        var seenPortPrefix = new bool[2];
        string ended;
        try
        {
            await socket.ConnectAsync(uri.Uri, cancel.Token);
            var payload = Encoding.UTF8.GetBytes(request);
            var frame = new byte[payload.Length + 1];
            payload.CopyTo(frame, 1);
            await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, cancel.Token);

            var buffer = new byte[64 * 1024];
            var message = new MemoryStream();
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cancel.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ended = $"closed by the server ({result.CloseStatus})";
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var bytes = message.ToArray();
                message.SetLength(0);
                if (bytes.Length == 0 || bytes[0] > 1)
                {
                    continue;
                }

                var body = bytes.AsSpan(1);
                var channel = bytes[0];
                if (!seenPortPrefix[channel])
                {
                    // The first two bytes on each channel name the port.
                    seenPortPrefix[channel] = true;
                    body = body.Length >= 2 ? body[2..] : [];
                }

                (channel == 0 ? data : error).Write(body);
            }
        }
        catch (OperationCanceledException)
        {
            ended = $"still open after {timeout.TotalSeconds:F0}s";
        }
        catch (WebSocketException e)
        {
            ended = $"ended: {e.Message}";
        }

        return (Encoding.UTF8.GetString(data.ToArray()), Encoding.UTF8.GetString(error.ToArray()), ended);
    }
}
