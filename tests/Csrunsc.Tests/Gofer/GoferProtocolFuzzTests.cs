using Csrunsc.Gofer;
using Csrunsc.Gofer.Protocol;
using Csrunsc.Gofer.Server;
using Csrunsc.Native;
using Xunit;

namespace Csrunsc.Tests.Gofer;

/// <summary>
/// A seeded fuzzer of the gofer protocol, for a fixed budget of frames: random message ids
/// (mostly real ones), fids, names (".", "..", "a/b", NUL, 300 bytes), flags, modes, lengths and
/// stray SCM_RIGHTS fds, against an in-process server. Every frame gets one well-formed answer
/// with an errno in range, a donated fd is never a directory and always lies under the served
/// tree, nothing appears outside it, and a valid request still works at the end.
/// </summary>
public sealed unsafe class GoferProtocolFuzzTests
{
    [ThreadStatic]
    private static int s_donated;

    private static readonly string[] Names = ["a", "f.txt", "d", "..", ".", "", "x/y", "/etc", "a\0b", new string('n', 300), "new", "l", "p"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomFramesGetErrnoAnswersAndNeverLeaveTheTree(int seed)
    {
        string top = Path.Combine(Path.GetTempPath(), "csrunsc-gofer-fuzz-" + Guid.NewGuid().ToString("N"));
        string root = Path.Combine(top, "root"), outside = Path.Combine(top, "outside");
        Directory.CreateDirectory(Path.Combine(root, "d"));
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(root, "f.txt"), "contents");
        File.WriteAllText(Path.Combine(outside, "secret"), "secret");
        File.CreateSymbolicLink(Path.Combine(root, "l"), "../outside/secret");
        Assert.Equal(0, GoferRoots.Open(root, [], false, out var roots, out _));
        int* sv = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, sv));
        int client = sv[0], server = sv[1];
        int result = int.MinValue;
        var thread = new Thread(() => result = GoferServer.Serve(server, roots!)) { IsBackground = true };
        thread.Start();
        int devNull = Libc.OpenPath("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC);
        try
        {
            var rng = new Random(seed);
            var w = new PayloadWriter();
            var fids = new List<uint> { 0 };
            int succeeded = 0;
            s_donated = 0;
            for (int i = 0; i < 5000; i++)
            {
                var id = rng.Next(10) == 0 ? (MessageId)rng.Next(0, 40) : (MessageId)rng.Next(1, 17);
                w.Begin();
                uint Fid() => fids[rng.Next(fids.Count)];
                string Name() => Names[rng.Next(Names.Length)];
                int Flags() => rng.Next(4) == 0 ? rng.Next() : rng.Next(3) | (rng.Next(2) == 0 ? Libc.O_TRUNC : 0) | (rng.Next(4) == 0 ? Libc.O_DIRECTORY : 0);
                if (rng.Next(2) == 0)
                {
                    // Well-formed bodies with hostile values.
                    switch (rng.Next(6))
                    {
                        case 0: id = MessageId.Walk; w.U32(Fid()); w.String(Name()); break;
                        case 1: id = MessageId.Open; w.U32(Fid()); w.I32(Flags()); break;
                        case 2: id = MessageId.Create; w.U32(Fid()); w.String(Name()); w.I32(Flags()); w.U32((uint)rng.Next(0x10000)); w.U32(0); w.U32(0); break;
                        case 3: id = MessageId.Mknod; w.U32(Fid()); w.String(Name()); w.U32((uint)rng.Next(0x10000)); w.U64(0x801); w.U32(0); w.U32(0); break;
                        case 4: id = MessageId.ReadDir; w.U32(Fid()); w.U64((ulong)rng.Next(1000)); w.U32((uint)rng.Next(0, 1 << 20)); break;
                        default: id = MessageId.Attach; w.U32((uint)rng.Next(3)); break;
                    }
                    goto send;
                }
                int fields = rng.Next(0, 8);
                for (int f = 0; f < fields; f++)
                {
                    switch (rng.Next(6))
                    {
                        case 0: w.U32(fids[rng.Next(fids.Count)]); break;
                        case 1: w.String(Names[rng.Next(Names.Length)]); break;
                        case 2: w.I32(rng.Next(4) == 0 ? rng.Next() : Libc.O_RDONLY | (rng.Next(2) == 0 ? Libc.O_RDWR | Libc.O_TRUNC : Libc.O_DIRECTORY)); break;
                        case 3: w.U32((uint)rng.Next(0, 0x10000)); break;
                        case 4: w.U64((ulong)rng.NextInt64()); break;
                        default: w.U8((byte)rng.Next(256)); break;
                    }
                }
                send:
                var frame = w.Finish(id);
                Assert.Equal(0, MessageChannel.SendFrame(client, frame, rng.Next(20) == 0 ? devNull : -1));
                int err = ReadAnswer(client, id, root, out uint? newFid);
                Assert.InRange(err, 0, 4095);
                if (err == 0) succeeded++;
                if (newFid is uint nf && fids.Count < 64) fids.Add(nf);
            }
            // The fuzz reached the handlers: requests succeeded and host fds were donated (and checked).
            Assert.True(succeeded > 100, $"only {succeeded} requests succeeded");
            Assert.True(s_donated > 0, "no fd was donated");
            Assert.Equal("secret", string.Join(",", Directory.GetFileSystemEntries(outside).Select(Path.GetFileName)));
            Assert.Equal("secret", File.ReadAllText(Path.Combine(outside, "secret")));
            w.Begin();
            w.U32(0);
            Assert.Equal(0, ReadAnswerAfter(client, w.Finish(MessageId.Attach), root));
        }
        finally
        {
            Libc.Close(devNull);
            Libc.Close(client);
            Assert.True(thread.Join(10000));
            Libc.Close(server);
            roots!.Dispose();
            // Fuzzed names need not be UTF-8, which Directory.Delete cannot name.
            using (var rm = System.Diagnostics.Process.Start("rm", ["-rf", top])) rm.WaitForExit();
        }
        Assert.Equal(0, result);
    }

    private static int ReadAnswerAfter(int sock, ReadOnlySpan<byte> frame, string root)
    {
        Assert.Equal(0, MessageChannel.SendFrame(sock, frame));
        return ReadAnswer(sock, MessageHeader.Id(frame), root, out _);
    }

    /// <summary>Reads one answer; checks its id and any donated fd; the errno, and a new fid when the answer starts with one.</summary>
    private static int ReadAnswer(int sock, MessageId id, string root, out uint? newFid)
    {
        newFid = null;
        var header = new byte[MessageHeader.Size];
        Span<int> fds = stackalloc int[4];
        int n = 0;
        Assert.Equal(0, MessageChannel.ReceiveExact(sock, header, fds, ref n));
        uint length = MessageHeader.PayloadLength(header);
        Assert.InRange(length, 4u, (uint)MessageHeader.MaxResponsePayload);
        var payload = new byte[length];
        Assert.Equal(0, MessageChannel.ReceiveExact(sock, payload, fds, ref n));
        Assert.Equal(id, MessageHeader.Id(header));
        int err = BitConverter.ToInt32(payload, 0); // positive errno, or 0
        for (int i = 0; i < n; i++)
        {
            StatBuf st;
            Assert.Equal(0, Libc.FStat(fds[i], &st));
            Assert.NotEqual(StatBuf.S_IFDIR, st.Mode & StatBuf.S_IFMT);
            string path = new FileInfo($"/proc/self/fd/{fds[i]}").LinkTarget ?? "";
            Assert.StartsWith(root + "/", path, StringComparison.Ordinal);
            Libc.Close(fds[i]);
            s_donated++;
        }
        if (err == 0 && length >= 8 && id is MessageId.Attach or MessageId.Walk or MessageId.Create or MessageId.Mkdir
            or MessageId.Mknod or MessageId.Symlink or MessageId.Link)
            newFid = BitConverter.ToUInt32(payload, 4);
        return err;
    }
}
