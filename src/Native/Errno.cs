namespace Csrunsc.Native;

/// <summary>Linux errno values (asm-generic/errno-base.h, errno.h). Syscall handlers return -errno.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, ENOEXEC = 8,
        EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, ENOTBLK = 15, EBUSY = 16,
        EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24,
        ENOTTY = 25, ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31, EPIPE = 32,
        EDOM = 33, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36, ENOLCK = 37, ENOSYS = 38, ENOTEMPTY = 39,
        ELOOP = 40, ENOMSG = 42, EIDRM = 43, ENODATA = 61, ETIME = 62, EOVERFLOW = 75, EBADFD = 77, EILSEQ = 84,
        ENOTSOCK = 88, EDESTADDRREQ = 89, EMSGSIZE = 90, EPROTOTYPE = 91, ENOPROTOOPT = 92,
        EPROTONOSUPPORT = 93, ESOCKTNOSUPPORT = 94, EOPNOTSUPP = 95, EAFNOSUPPORT = 97, EADDRINUSE = 98,
        EADDRNOTAVAIL = 99, ENETUNREACH = 101, ECONNABORTED = 103, ECONNRESET = 104, ENOBUFS = 105,
        EISCONN = 106, ENOTCONN = 107, ETIMEDOUT = 110, ECONNREFUSED = 111, EALREADY = 114,
        EINPROGRESS = 115, ECANCELED = 125, ERESTARTSYS = 512, ERESTARTNOINTR = 513,
        ERESTARTNOHAND = 514, ERESTART_RESTARTBLOCK = 516;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EINTR => "EINTR", EIO => "EIO",
        EBADF => "EBADF", ECHILD => "ECHILD", EAGAIN => "EAGAIN", ENOMEM => "ENOMEM", EACCES => "EACCES",
        EFAULT => "EFAULT", EEXIST => "EEXIST", ENOTDIR => "ENOTDIR", EISDIR => "EISDIR", EINVAL => "EINVAL",
        ENOTTY => "ENOTTY", ESPIPE => "ESPIPE", EROFS => "EROFS", EPIPE => "EPIPE", ENOSYS => "ENOSYS",
        ENOTEMPTY => "ENOTEMPTY", ELOOP => "ELOOP", ENAMETOOLONG => "ENAMETOOLONG", ENOEXEC => "ENOEXEC",
        ENXIO => "ENXIO", EBUSY => "EBUSY", EXDEV => "EXDEV", ENODEV => "ENODEV", ENFILE => "ENFILE",
        EMFILE => "EMFILE", ENOSPC => "ENOSPC", ENOTSOCK => "ENOTSOCK", EOPNOTSUPP => "EOPNOTSUPP",
        EAFNOSUPPORT => "EAFNOSUPPORT", EADDRINUSE => "EADDRINUSE", ECONNRESET => "ECONNRESET",
        ENOTCONN => "ENOTCONN", ETIMEDOUT => "ETIMEDOUT", ECONNREFUSED => "ECONNREFUSED",
        _ => "E" + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The message Go's syscall package (hence runc) prints for an errno, e.g. "no such file or directory".</summary>
    public static string Describe(int errno) => errno switch
    {
        EPERM => "operation not permitted", ENOENT => "no such file or directory", EACCES => "permission denied",
        ENOTDIR => "not a directory", ELOOP => "too many levels of symbolic links", EINVAL => "invalid argument",
        EISDIR => "is a directory", ENAMETOOLONG => "file name too long", ENXIO => "no such device or address",
        EBUSY => "device or resource busy", ENOSPC => "no space left on device", ERANGE => "numerical result out of range",
        EOPNOTSUPP => "operation not supported", ENODEV => "no such device",
        _ => Name(errno),
    };
}
