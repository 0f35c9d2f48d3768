using System.Text;
using System.Text.Json;

namespace Csrunsc.Cli;

/// <summary>
/// Error and debug lines the way runc writes them: to --log (text or one JSON object per line,
/// {"level","msg","time"}) and errors also to stderr.
/// </summary>
public static class Log
{
    public static GlobalOptions Options { get; set; } = new();

    /// <summary>The --log file held open (see <see cref="KeepOpen"/>), or -1: opened by path per line.</summary>
    private static int s_fd = -1;

    /// <summary>
    /// Holds the --log file open from now on: the sandbox process writes the Sentry's events there
    /// after its chroot and its host uid drop, when the path no longer opens.
    /// </summary>
    public static void KeepOpen()
    {
        if (s_fd >= 0 || string.IsNullOrEmpty(Options.Log)) return;
        s_fd = Native.Libc.OpenPath(Options.Log, Native.Libc.O_WRONLY | Native.Libc.O_CREAT | Native.Libc.O_APPEND | Native.Libc.O_CLOEXEC, 0x1A4);
    }

    public static void Error(string message)
    {
        Write("error", message);
        Native.Libc.WriteString(2, "csrunsc: " + message + "\n");
    }

    /// <summary>A warning line in --log only (the Sentry's events when the log is the runtime's log).</summary>
    public static void Warning(string message) => Write("warning", message);

    /// <summary>A debug line: in --log with --debug; always in the process's --debug-log DIR file.</summary>
    public static void Debug(string message)
    {
        if (Options.Debug) Write("debug", message);
        else DebugLog.Current?.Write(TextLine("debug", message) + "\n");
    }

    /// <summary>One line in runc's text format: time="..." level=L msg="...".</summary>
    public static string TextLine(string level, string message) =>
        $"time=\"{Now()}\" level={level} msg=\"{message.Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture);

    private static void Write(string level, string message)
    {
        // --debug-log DIR: every line of this process also goes to its role file.
        DebugLog.Current?.Write(TextLine(level, message) + "\n");
        if (string.IsNullOrEmpty(Options.Log)) return;
        string time = Now();
        string line;
        if (Options.LogFormat == "json")
        {
            var sb = new StringBuilder();
            using (var w = new Utf8JsonWriter(new MemoryStreamAdapter(sb)))
            {
                w.WriteStartObject();
                w.WriteString("level", level);
                w.WriteString("msg", message);
                w.WriteString("time", time);
                w.WriteEndObject();
            }
            line = sb.ToString();
        }
        else
        {
            line = TextLine(level, message);
        }
        if (s_fd >= 0)
        {
            Native.Libc.WriteString(s_fd, line + "\n");
            return;
        }
        try
        {
            File.AppendAllText(Options.Log, line + "\n");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Collects Utf8JsonWriter output into a StringBuilder.</summary>
    private sealed class MemoryStreamAdapter(StringBuilder sb) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => 0;
        public override long Position { get => 0; set { } }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => 0;
        public override long Seek(long offset, SeekOrigin origin) => 0;
        public override void SetLength(long value) { }
        public override void Write(byte[] buffer, int offset, int count) => sb.Append(Encoding.UTF8.GetString(buffer, offset, count));
    }
}
