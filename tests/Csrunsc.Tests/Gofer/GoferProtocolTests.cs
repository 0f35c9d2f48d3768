using Csrunsc.Gofer;
using Csrunsc.Gofer.Protocol;
using Csrunsc.Gofer.Server;
using Csrunsc.Native;
using Xunit;

namespace Csrunsc.Tests.Gofer;

/// <summary>The wire format and the server's answers to malformed frames.</summary>
public sealed unsafe class GoferProtocolTests
{
    [Fact]
    public void PayloadRoundTripsAndUnderrunsAreFlagged()
    {
        var w = new PayloadWriter(16);
        w.Begin();
        w.U32(7);
        w.String("héllo");
        w.I64(-5);
        w.U8(9);
        var frame = w.Finish(MessageId.Walk);
        Assert.Equal((uint)(frame.Length - MessageHeader.Size), MessageHeader.PayloadLength(frame));
        Assert.Equal(MessageId.Walk, MessageHeader.Id(frame));
        var r = new PayloadReader(frame[MessageHeader.Size..]);
        Assert.Equal(7u, r.U32());
        Assert.Equal("héllo", r.String());
        Assert.Equal(-5, r.I64());
        Assert.Equal(9, r.U8());
        Assert.False(r.Failed);
        Assert.Equal(0u, r.U32());
        Assert.True(r.Failed);

        var bad = new PayloadReader([0xFF, 0xFF, 0, 0, (byte)'a']); // string longer than the payload
        Assert.True(bad.StringBytes().IsEmpty);
        Assert.True(bad.Failed);
    }

    [Fact]
    public void MalformedAndUnknownRequestsGetErrnoAnswers()
    {
        string dir = Path.Combine(Path.GetTempPath(), "csrunsc-gofer-proto-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        Assert.Equal(0, GoferRoots.Open(dir, [], false, out var roots, out _));
        int* sv = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, sv));
        int client = sv[0], server = sv[1];
        int result = int.MinValue;
        var thread = new Thread(() => result = GoferServer.Serve(server, roots!)) { IsBackground = true };
        thread.Start();
        try
        {
            var w = new PayloadWriter();
            w.Begin();
            w.U32(0);
            w.U32(100); // Walk: a name length with no name
            Assert.Equal(-Errno.EINVAL, RoundTrip(client, w.Finish(MessageId.Walk)));
            w.Begin();
            Assert.Equal(-Errno.ENOSYS, RoundTrip(client, w.Finish((MessageId)999)));
            w.Begin();
            w.U32(0);
            Assert.Equal(0, RoundTrip(client, w.Finish(MessageId.Attach)));
        }
        finally
        {
            Libc.Close(client);
            Assert.True(thread.Join(5000));
            Libc.Close(server);
            roots!.Dispose();
            Directory.Delete(dir, true);
        }
        Assert.Equal(0, result);
    }

    private static int RoundTrip(int sock, ReadOnlySpan<byte> frame)
    {
        Assert.Equal(0, MessageChannel.SendFrame(sock, frame));
        var header = new byte[MessageHeader.Size];
        Span<int> fds = stackalloc int[4];
        int n = 0;
        Assert.Equal(0, MessageChannel.ReceiveExact(sock, header, fds, ref n));
        var payload = new byte[MessageHeader.PayloadLength(header)];
        Assert.Equal(0, MessageChannel.ReceiveExact(sock, payload, fds, ref n));
        Assert.Equal(MessageHeader.Id(frame), MessageHeader.Id(header));
        return -BitConverter.ToInt32(payload, 0);
    }
}
