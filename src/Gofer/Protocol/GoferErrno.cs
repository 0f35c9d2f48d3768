namespace Csrunsc.Gofer;

/// <summary>Errno values the gofer returns that <c>Csrunsc.Native.Errno</c> does not list.</summary>
public static class GoferErrno
{
    /// <summary>The file a fid named is no longer at its name (replaced or removed on the host): walk again.</summary>
    public const int ESTALE = 116;
}
