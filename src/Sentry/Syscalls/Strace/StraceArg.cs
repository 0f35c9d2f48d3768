namespace Csrunsc.Sentry.Syscalls.Strace;

/// <summary>
/// How one syscall argument is printed. Kinds named Out* point at memory the call fills: they are
/// printed after the call (as a pointer when it failed); all others are read before the call, so
/// execve's strings are seen before the old address space goes away.
/// </summary>
public enum StraceArg : byte
{
    Hex,
    Int,
    UInt,
    Fd,
    /// <summary>A dirfd: AT_FDCWD or a number.</summary>
    DirFd,
    /// <summary>NUL-terminated path, printed whole.</summary>
    Path,
    /// <summary>NUL-terminated string, truncated like strace -s 32.</summary>
    Str,
    /// <summary>Buffer whose length is the next argument, read before the call (write, send).</summary>
    InBuf,
    /// <summary>Buffer filled by the call, the result is its length (read, recv, getcwd, readlink).</summary>
    OutBuf,
    Ptr,
    OpenFlags,
    /// <summary>Mode of open/openat: printed only when the flags before it have O_CREAT or O_TMPFILE.</summary>
    OpenMode,
    Mode,
    MmapProt,
    MmapFlags,
    CloneFlags,
    SockDomain,
    SockType,
    Signal,
    SigSetIn,
    SigSetOut,
    SigActionIn,
    SigActionOut,
    SigHow,
    FcntlCmd,
    /// <summary>fcntl's third argument, decoded by the command before it.</summary>
    FcntlArg,
    StatOut,
    TimespecIn,
    TimespecOut,
    /// <summary>sockaddr whose length is the next argument (bind, connect, sendto).</summary>
    SockaddrIn,
    /// <summary>sockaddr filled by the call, its length at the next argument (accept, getsockname, recvfrom).</summary>
    SockaddrOut,
    /// <summary>socklen_t* in/out: printed as [N].</summary>
    SockLenOut,
    /// <summary>iovec array, the count is the next argument, read before the call (writev).</summary>
    IovecIn,
    /// <summary>iovec array filled by the call, the result is the total (readv).</summary>
    IovecOut,
    Whence,
    AccessMode,
    AtFlags,
    WaitOptions,
    WaitStatusOut,
    FutexOp,
    PrctlOption,
    ArchPrctlCode,
    IoctlRequest,
    Argv,
    Envp,
    PollFds,
    EpollOp,
    EpollEventIn,
    ClockId,
    MsgFlags,
    SockLevel,
    /// <summary>int[2] filled by the call (pipe, socketpair): [3, 4].</summary>
    FdPairOut,
    /// <summary>O_CLOEXEC|O_NONBLOCK flags (pipe2, dup3, eventfd2, epoll_create1...).</summary>
    CloexecFlags,
    RlimitResource,
    /// <summary>getdents64's buffer: summarized as "0x... /* N entries */".</summary>
    DirentsOut,
    /// <summary>int* filled by the call, printed as [N] (getsockopt's value when 4 bytes).</summary>
    IntOut,
}
