namespace Csrunsc.Sentry.Syscalls.Strace;

/// <summary>errno names and glibc strerror texts, as strace prints a failed call: "-1 ENOENT (No such file or directory)".</summary>
public static class StraceErrno
{
    private static readonly string[] s_names = new string[134];
    private static readonly string[] s_texts = new string[134];

    static StraceErrno()
    {
        Set(1, "EPERM", "Operation not permitted");
        Set(2, "ENOENT", "No such file or directory");
        Set(3, "ESRCH", "No such process");
        Set(4, "EINTR", "Interrupted system call");
        Set(5, "EIO", "Input/output error");
        Set(6, "ENXIO", "No such device or address");
        Set(7, "E2BIG", "Argument list too long");
        Set(8, "ENOEXEC", "Exec format error");
        Set(9, "EBADF", "Bad file descriptor");
        Set(10, "ECHILD", "No child processes");
        Set(11, "EAGAIN", "Resource temporarily unavailable");
        Set(12, "ENOMEM", "Cannot allocate memory");
        Set(13, "EACCES", "Permission denied");
        Set(14, "EFAULT", "Bad address");
        Set(15, "ENOTBLK", "Block device required");
        Set(16, "EBUSY", "Device or resource busy");
        Set(17, "EEXIST", "File exists");
        Set(18, "EXDEV", "Invalid cross-device link");
        Set(19, "ENODEV", "No such device");
        Set(20, "ENOTDIR", "Not a directory");
        Set(21, "EISDIR", "Is a directory");
        Set(22, "EINVAL", "Invalid argument");
        Set(23, "ENFILE", "Too many open files in system");
        Set(24, "EMFILE", "Too many open files");
        Set(25, "ENOTTY", "Inappropriate ioctl for device");
        Set(26, "ETXTBSY", "Text file busy");
        Set(27, "EFBIG", "File too large");
        Set(28, "ENOSPC", "No space left on device");
        Set(29, "ESPIPE", "Illegal seek");
        Set(30, "EROFS", "Read-only file system");
        Set(31, "EMLINK", "Too many links");
        Set(32, "EPIPE", "Broken pipe");
        Set(33, "EDOM", "Numerical argument out of domain");
        Set(34, "ERANGE", "Numerical result out of range");
        Set(35, "EDEADLK", "Resource deadlock avoided");
        Set(36, "ENAMETOOLONG", "File name too long");
        Set(37, "ENOLCK", "No locks available");
        Set(38, "ENOSYS", "Function not implemented");
        Set(39, "ENOTEMPTY", "Directory not empty");
        Set(40, "ELOOP", "Too many levels of symbolic links");
        Set(42, "ENOMSG", "No message of desired type");
        Set(43, "EIDRM", "Identifier removed");
        Set(44, "ECHRNG", "Channel number out of range");
        Set(45, "EL2NSYNC", "Level 2 not synchronized");
        Set(46, "EL3HLT", "Level 3 halted");
        Set(47, "EL3RST", "Level 3 reset");
        Set(48, "ELNRNG", "Link number out of range");
        Set(49, "EUNATCH", "Protocol driver not attached");
        Set(50, "ENOCSI", "No CSI structure available");
        Set(51, "EL2HLT", "Level 2 halted");
        Set(52, "EBADE", "Invalid exchange");
        Set(53, "EBADR", "Invalid request descriptor");
        Set(54, "EXFULL", "Exchange full");
        Set(55, "ENOANO", "No anode");
        Set(56, "EBADRQC", "Invalid request code");
        Set(57, "EBADSLT", "Invalid slot");
        Set(59, "EBFONT", "Bad font file format");
        Set(60, "ENOSTR", "Device not a stream");
        Set(61, "ENODATA", "No data available");
        Set(62, "ETIME", "Timer expired");
        Set(63, "ENOSR", "Out of streams resources");
        Set(64, "ENONET", "Machine is not on the network");
        Set(65, "ENOPKG", "Package not installed");
        Set(66, "EREMOTE", "Object is remote");
        Set(67, "ENOLINK", "Link has been severed");
        Set(68, "EADV", "Advertise error");
        Set(69, "ESRMNT", "Srmount error");
        Set(70, "ECOMM", "Communication error on send");
        Set(71, "EPROTO", "Protocol error");
        Set(72, "EMULTIHOP", "Multihop attempted");
        Set(73, "EDOTDOT", "RFS specific error");
        Set(74, "EBADMSG", "Bad message");
        Set(75, "EOVERFLOW", "Value too large for defined data type");
        Set(76, "ENOTUNIQ", "Name not unique on network");
        Set(77, "EBADFD", "File descriptor in bad state");
        Set(78, "EREMCHG", "Remote address changed");
        Set(79, "ELIBACC", "Can not access a needed shared library");
        Set(80, "ELIBBAD", "Accessing a corrupted shared library");
        Set(81, "ELIBSCN", ".lib section in a.out corrupted");
        Set(82, "ELIBMAX", "Attempting to link in too many shared libraries");
        Set(83, "ELIBEXEC", "Cannot exec a shared library directly");
        Set(84, "EILSEQ", "Invalid or incomplete multibyte or wide character");
        Set(85, "ERESTART", "Interrupted system call should be restarted");
        Set(86, "ESTRPIPE", "Streams pipe error");
        Set(87, "EUSERS", "Too many users");
        Set(88, "ENOTSOCK", "Socket operation on non-socket");
        Set(89, "EDESTADDRREQ", "Destination address required");
        Set(90, "EMSGSIZE", "Message too long");
        Set(91, "EPROTOTYPE", "Protocol wrong type for socket");
        Set(92, "ENOPROTOOPT", "Protocol not available");
        Set(93, "EPROTONOSUPPORT", "Protocol not supported");
        Set(94, "ESOCKTNOSUPPORT", "Socket type not supported");
        Set(95, "EOPNOTSUPP", "Operation not supported");
        Set(96, "EPFNOSUPPORT", "Protocol family not supported");
        Set(97, "EAFNOSUPPORT", "Address family not supported by protocol");
        Set(98, "EADDRINUSE", "Address already in use");
        Set(99, "EADDRNOTAVAIL", "Cannot assign requested address");
        Set(100, "ENETDOWN", "Network is down");
        Set(101, "ENETUNREACH", "Network is unreachable");
        Set(102, "ENETRESET", "Network dropped connection on reset");
        Set(103, "ECONNABORTED", "Software caused connection abort");
        Set(104, "ECONNRESET", "Connection reset by peer");
        Set(105, "ENOBUFS", "No buffer space available");
        Set(106, "EISCONN", "Transport endpoint is already connected");
        Set(107, "ENOTCONN", "Transport endpoint is not connected");
        Set(108, "ESHUTDOWN", "Cannot send after transport endpoint shutdown");
        Set(109, "ETOOMANYREFS", "Too many references: cannot splice");
        Set(110, "ETIMEDOUT", "Connection timed out");
        Set(111, "ECONNREFUSED", "Connection refused");
        Set(112, "EHOSTDOWN", "Host is down");
        Set(113, "EHOSTUNREACH", "No route to host");
        Set(114, "EALREADY", "Operation already in progress");
        Set(115, "EINPROGRESS", "Operation now in progress");
        Set(116, "ESTALE", "Stale file handle");
        Set(117, "EUCLEAN", "Structure needs cleaning");
        Set(118, "ENOTNAM", "Not a XENIX named type file");
        Set(119, "ENAVAIL", "No XENIX semaphores available");
        Set(120, "EISNAM", "Is a named type file");
        Set(121, "EREMOTEIO", "Remote I/O error");
        Set(122, "EDQUOT", "Disk quota exceeded");
        Set(123, "ENOMEDIUM", "No medium found");
        Set(124, "EMEDIUMTYPE", "Wrong medium type");
        Set(125, "ECANCELED", "Operation canceled");
        Set(126, "ENOKEY", "Required key not available");
        Set(127, "EKEYEXPIRED", "Key has expired");
        Set(128, "EKEYREVOKED", "Key has been revoked");
        Set(129, "EKEYREJECTED", "Key was rejected by service");
        Set(130, "EOWNERDEAD", "Owner died");
        Set(131, "ENOTRECOVERABLE", "State not recoverable");
        Set(132, "ERFKILL", "Operation not possible due to RF-kill");
    }

    private static void Set(int n, string name, string text)
    {
        s_names[n] = name;
        s_texts[n] = text;
    }

    /// <summary>" = -1 ENOENT (No such file or directory)" for errno, or the kernel-internal restart codes strace shows as "? ERESTARTSYS (...)".</summary>
    public static string Result(int errno) => errno switch
    {
        512 => "? ERESTARTSYS (To be restarted if SA_RESTART is set)",
        513 => "? ERESTARTNOINTR (To be restarted)",
        514 => "? ERESTARTNOHAND (To be restarted if no handler)",
        516 => "? ERESTART_RESTARTBLOCK (Interrupted by signal)",
        > 0 and < 134 when s_names[errno] is { } name => "-1 " + name + " (" + s_texts[errno] + ")",
        _ => "-1 E" + errno.ToString(System.Globalization.CultureInfo.InvariantCulture) + " (Unknown error " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")",
    };

    public static string Name(int errno) => errno > 0 && errno < 134 && s_names[errno] is { } n ? n : "E" + errno.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
