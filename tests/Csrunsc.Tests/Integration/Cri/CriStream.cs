using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>
/// The client side of a CRI Exec or Attach stream: the URL containerd's streaming server returned,
/// opened as a WebSocket with Kubernetes' "v4.channel.k8s.io" subprotocol (containerd 1.6 serves
/// both SPDY and WebSocket; kubectl's newer clients use WebSocket too). Every message starts with a
/// channel byte: 0 stdin (to the server), 1 stdout, 2 stderr, 3 error (a metav1.Status JSON when the
/// process ends: "Success", or "Failure" with reason NonZeroExitCode and the code in
/// details.causes[reason=ExitCode]), 4 resize (to the server: {"Width":W,"Height":H}). The server
/// closes the socket after the status. v4 cannot half-close stdin: a process that needs EOF on its
/// stdin gets it from <c>stdin_once</c> or not at all.
/// </summary>
public sealed class CriStream : IAsyncDisposable
{
    public const string Protocol = "v4.channel.k8s.io";
    private const byte StdinChannel = 0;
    private const byte StdoutChannel = 1;
    private const byte StderrChannel = 2;
    private const byte ErrorChannel = 3;
    private const byte ResizeChannel = 4;

    private readonly ClientWebSocket _socket;
    private readonly Task _receiver;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly object _lock = new();
    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly StringBuilder _error = new();
    private readonly StringBuilder _transcript = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _closedBy;

    private CriStream(string url, ClientWebSocket socket)
    {
        Url = url;
        _socket = socket;
        _receiver = Task.Run(ReceiveAsync);
    }

    public string Url { get; }

    /// <summary>Everything received on stdout so far (UTF-8).</summary>
    public string Stdout
    {
        get
        {
            lock (_lock)
            {
                return Encoding.UTF8.GetString(_stdout.GetBuffer(), 0, (int)_stdout.Length);
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_lock)
            {
                return Encoding.UTF8.GetString(_stderr.GetBuffer(), 0, (int)_stderr.Length);
            }
        }
    }

    /// <summary>The error channel's text (the final status JSON, or a server-side error message).</summary>
    public string Error
    {
        get
        {
            lock (_lock)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Null while open; else why it ended (the close status, or the receive error).</summary>
    public string? ClosedBy
    {
        get
        {
            lock (_lock)
            {
                return _closedBy;
            }
        }
    }

    /// <summary>What went each way, with times, for failure messages.</summary>
    public string Transcript
    {
        get
        {
            lock (_lock)
            {
                return _transcript.ToString();
            }
        }
    }

    /// <summary>Opens <paramref name="url"/> (http:// from containerd, dialled as ws://).</summary>
    public static async Task<CriStream> OpenAsync(string url, TimeSpan timeout)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(Protocol);
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var uri = new UriBuilder(url);
        uri.Scheme = uri.Scheme == "https" ? "wss" : "ws";
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(uri.Uri, cancel.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw new InvalidOperationException($"cannot open the CRI stream {url} as a WebSocket ({Protocol}): {e.Message}", e);
        }

        if (socket.SubProtocol != Protocol)
        {
            socket.Dispose();
            throw new InvalidOperationException($"the CRI stream {url} negotiated subprotocol '{socket.SubProtocol}', not {Protocol}");
        }

        return new CriStream(url, socket);
    }

    /// <summary>Sends <paramref name="text"/> on stdin.</summary>
    public Task SendStdinAsync(string text) => SendAsync(StdinChannel, Encoding.UTF8.GetBytes(text), $"stdin {Show(text)}");

    /// <summary>Sends a terminal size on the resize channel (columns, rows).</summary>
    public Task ResizeAsync(int width, int height) =>
        SendAsync(ResizeChannel, Encoding.UTF8.GetBytes($"{{\"Width\":{width},\"Height\":{height}}}"), $"resize {width}x{height}");

    /// <summary>Waits until stdout satisfies <paramref name="condition"/>; false on timeout or when the stream ended first.</summary>
    public Task<bool> WaitForStdoutAsync(Func<string, bool> condition, TimeSpan timeout) =>
        WaitAsync(() => condition(Stdout), timeout);

    /// <summary>Waits for the server to close the stream and returns the process's exit status (from the error channel).</summary>
    public async Task<CriStreamEnd> WaitForEndAsync(TimeSpan timeout)
    {
        var ended = await WaitAsync(() => ClosedBy is not null, timeout);
        return new CriStreamEnd(ended, ended ? ParseExitCode(Error) : null, Error, Stdout, Stderr);
    }

    /// <summary>Closes the stream from our side (a detach, for Attach).</summary>
    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "detach", cancel.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }

        await Task.WhenAny(_receiver, Task.Delay(TimeSpan.FromSeconds(5)));
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await Task.WhenAny(_receiver, Task.Delay(TimeSpan.FromSeconds(5)));
        _socket.Dispose();
        _sendLock.Dispose();
    }

    /// <summary>
    /// The exit status in a v4 status JSON: 0 for "Success", the ExitCode cause for
    /// NonZeroExitCode, null when there is no status or it says something else.
    /// </summary>
    public static int? ParseExitCode(string status)
    {
        if (string.IsNullOrWhiteSpace(status))
        {
            return null;
        }

        try
        {
            var json = JsonNode.Parse(status);
            if (json?["status"]?.GetValue<string>() == "Success")
            {
                return 0;
            }

            if (json?["reason"]?.GetValue<string>() == "NonZeroExitCode" && json["details"]?["causes"] is JsonArray causes)
            {
                foreach (var cause in causes)
                {
                    if (cause?["reason"]?.GetValue<string>() == "ExitCode" && int.TryParse(cause["message"]?.GetValue<string>(), out var code))
                    {
                        return code;
                    }
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return null;
    }

    private async Task SendAsync(byte channel, byte[] payload, string what)
    {
        var frame = new byte[payload.Length + 1];
        frame[0] = channel;
        payload.CopyTo(frame, 1);
        await _sendLock.WaitAsync();
        try
        {
            Note($"-> {what}");
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, cancel.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        string closed;
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    closed = $"closed by the server ({result.CloseStatus} {result.CloseStatusDescription})".TrimEnd();
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    Dispatch(message.GetBuffer().AsSpan(0, (int)message.Length));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            closed = $"ended: {e.Message}";
        }

        lock (_lock)
        {
            _closedBy = closed;
            _transcript.Append($"{_clock.Elapsed.TotalSeconds,7:F3}s <- {closed}\n");
        }

        Changed();
    }

    private void Dispatch(ReadOnlySpan<byte> message)
    {
        if (message.Length == 0)
        {
            return;
        }

        var data = message[1..];
        lock (_lock)
        {
            switch (message[0])
            {
                case StdoutChannel:
                    _stdout.Write(data);
                    break;
                case StderrChannel:
                    _stderr.Write(data);
                    break;
                case ErrorChannel:
                    _error.Append(Encoding.UTF8.GetString(data));
                    break;
            }

            _transcript.Append($"{_clock.Elapsed.TotalSeconds,7:F3}s <- channel {message[0]}: {Show(Encoding.UTF8.GetString(data))}\n");
        }

        Changed();
    }

    private void Note(string line)
    {
        lock (_lock)
        {
            _transcript.Append($"{_clock.Elapsed.TotalSeconds,7:F3}s {line}\n");
        }
    }

    private void Changed()
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }

            if (condition())
            {
                return true;
            }

            if (ClosedBy is not null || deadline.Elapsed >= timeout)
            {
                return condition();
            }

            await Task.WhenAny(changed, Task.Delay(timeout - deadline.Elapsed));
        }
    }

    private static string Show(string text) =>
        JsonValue.Create(text.Length > 400 ? text[..400] + "..." : text).ToJsonString();
}

/// <summary>How a CRI stream ended: <see cref="Ended"/> false means it was still open at the timeout.</summary>
public sealed record CriStreamEnd(bool Ended, int? ExitCode, string Status, string Stdout, string Stderr);
