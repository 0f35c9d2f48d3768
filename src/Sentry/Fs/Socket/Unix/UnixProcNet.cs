namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>/proc/net/unix: a header and one row per live AF_UNIX socket of the namespace.</summary>
public static class UnixProcNet
{
    public const string Header = "Num       RefCount Protocol Flags    Type St Inode Path\n";

    public static byte[] Table(Kernel.Kernel kernel)
    {
        var bytes = new List<byte>(4096);
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(Header));
        if (kernel.Sockets.Get(SocketFamilies.AF_UNIX) is UnixSocketFamily unix)
        {
            foreach (var s in unix.Namespace.Sockets()) s.AppendProcRow(bytes);
        }
        return [.. bytes];
    }
}
