using A = Csrunsc.Sentry.Syscalls.Strace.StraceArg;

namespace Csrunsc.Sentry.Syscalls.Strace;

/// <summary>How strace prints one syscall: its arguments' kinds and whether the result is an address.</summary>
public sealed record StraceSignature(A[] Args, bool HexResult);

/// <summary>
/// The decoder's table (x86-64 numbers → argument kinds), like strace's syscallent.h. A number not
/// listed prints its six raw arguments in hex.
/// </summary>
public static class StraceTable
{
    private static readonly StraceSignature?[] s_table = new StraceSignature?[SyscallTable.Size];

    public static readonly StraceSignature Unknown = new([A.Hex, A.Hex, A.Hex, A.Hex, A.Hex, A.Hex], false);

    public static StraceSignature Get(long nr) => (ulong)nr < (ulong)s_table.Length && s_table[nr] is { } s ? s : Unknown;

    private static void S(int nr, params A[] args) => s_table[nr] = new StraceSignature(args, false);

    private static void X(int nr, params A[] args) => s_table[nr] = new StraceSignature(args, true);

    static StraceTable()
    {
        // Files
        S(0, A.Fd, A.OutBuf, A.UInt);                                  // read
        S(1, A.Fd, A.InBuf, A.UInt);                                   // write
        S(2, A.Path, A.OpenFlags, A.OpenMode);                         // open
        S(3, A.Fd);                                                    // close
        S(4, A.Path, A.StatOut);                                       // stat
        S(5, A.Fd, A.StatOut);                                         // fstat
        S(6, A.Path, A.StatOut);                                       // lstat
        S(7, A.PollFds, A.UInt, A.Int);                                // poll
        S(8, A.Fd, A.Int, A.Whence);                                   // lseek
        S(16, A.Fd, A.IoctlRequest, A.Hex);                            // ioctl
        S(17, A.Fd, A.OutBuf, A.UInt, A.Int);                          // pread64
        S(18, A.Fd, A.InBuf, A.UInt, A.Int);                           // pwrite64
        S(19, A.Fd, A.IovecOut, A.Int);                                // readv
        S(20, A.Fd, A.IovecIn, A.Int);                                 // writev
        S(21, A.Path, A.AccessMode);                                   // access
        S(22, A.FdPairOut);                                            // pipe
        S(23, A.Int, A.Ptr, A.Ptr, A.Ptr, A.Ptr);                      // select
        S(24);                                                         // sched_yield
        S(32, A.Fd);                                                   // dup
        S(33, A.Fd, A.Fd);                                             // dup2
        S(40, A.Fd, A.Fd, A.Ptr, A.UInt);                              // sendfile
        S(72, A.Fd, A.FcntlCmd, A.FcntlArg);                           // fcntl
        S(73, A.Fd, A.Int);                                            // flock
        S(74, A.Fd);                                                   // fsync
        S(75, A.Fd);                                                   // fdatasync
        S(76, A.Path, A.Int);                                          // truncate
        S(77, A.Fd, A.Int);                                            // ftruncate
        S(78, A.Fd, A.DirentsOut, A.UInt);                             // getdents
        S(79, A.OutBuf, A.UInt);                                       // getcwd
        S(80, A.Path);                                                 // chdir
        S(81, A.Fd);                                                   // fchdir
        S(82, A.Path, A.Path);                                         // rename
        S(83, A.Path, A.Mode);                                         // mkdir
        S(84, A.Path);                                                 // rmdir
        S(85, A.Path, A.Mode);                                         // creat
        S(86, A.Path, A.Path);                                         // link
        S(87, A.Path);                                                 // unlink
        S(88, A.Path, A.Path);                                         // symlink
        S(89, A.Path, A.OutBuf, A.UInt);                               // readlink
        S(90, A.Path, A.Mode);                                         // chmod
        S(91, A.Fd, A.Mode);                                           // fchmod
        S(92, A.Path, A.Int, A.Int);                                   // chown
        S(93, A.Fd, A.Int, A.Int);                                     // fchown
        S(94, A.Path, A.Int, A.Int);                                   // lchown
        S(95, A.Mode);                                                 // umask
        S(133, A.Path, A.Mode, A.Hex);                                 // mknod
        S(137, A.Path, A.Ptr);                                         // statfs
        S(138, A.Fd, A.Ptr);                                           // fstatfs
        S(161, A.Path);                                                // chroot
        S(162);                                                        // sync
        S(165, A.Str, A.Path, A.Str, A.Hex, A.Ptr);                    // mount
        S(166, A.Path, A.Hex);                                         // umount2
        S(217, A.Fd, A.DirentsOut, A.UInt);                            // getdents64
        S(257, A.DirFd, A.Path, A.OpenFlags, A.OpenMode);              // openat
        S(258, A.DirFd, A.Path, A.Mode);                               // mkdirat
        S(259, A.DirFd, A.Path, A.Mode, A.Hex);                        // mknodat
        S(260, A.DirFd, A.Path, A.Int, A.Int, A.AtFlags);              // fchownat
        S(262, A.DirFd, A.Path, A.StatOut, A.AtFlags);                 // newfstatat
        S(263, A.DirFd, A.Path, A.AtFlags);                            // unlinkat
        S(264, A.DirFd, A.Path, A.DirFd, A.Path);                      // renameat
        S(265, A.DirFd, A.Path, A.DirFd, A.Path, A.AtFlags);           // linkat
        S(266, A.Path, A.DirFd, A.Path);                               // symlinkat
        S(267, A.DirFd, A.Path, A.OutBuf, A.UInt);                     // readlinkat
        S(268, A.DirFd, A.Path, A.Mode);                               // fchmodat
        S(269, A.DirFd, A.Path, A.AccessMode);                         // faccessat
        S(270, A.Int, A.Ptr, A.Ptr, A.Ptr, A.TimespecIn, A.Ptr);       // pselect6
        S(271, A.PollFds, A.UInt, A.TimespecIn, A.SigSetIn, A.UInt);   // ppoll
        S(275, A.Fd, A.Ptr, A.Fd, A.Ptr, A.UInt, A.Hex);               // splice
        S(280, A.DirFd, A.Path, A.Ptr, A.AtFlags);                     // utimensat
        S(285, A.Fd, A.Int, A.Int, A.Int);                             // fallocate
        S(292, A.Fd, A.Fd, A.CloexecFlags);                            // dup3
        S(293, A.FdPairOut, A.CloexecFlags);                           // pipe2
        S(295, A.Fd, A.IovecOut, A.Int, A.Int);                        // preadv
        S(296, A.Fd, A.IovecIn, A.Int, A.Int);                         // pwritev
        S(316, A.DirFd, A.Path, A.DirFd, A.Path, A.Hex);               // renameat2
        S(326, A.Fd, A.Ptr, A.Fd, A.Ptr, A.UInt, A.Hex);               // copy_file_range
        S(332, A.DirFd, A.Path, A.AtFlags, A.Hex, A.Ptr);              // statx
        S(439, A.DirFd, A.Path, A.AccessMode, A.AtFlags);              // faccessat2

        // Memory
        X(9, A.Ptr, A.UInt, A.MmapProt, A.MmapFlags, A.Fd, A.Hex);     // mmap
        S(10, A.Ptr, A.UInt, A.MmapProt);                              // mprotect
        S(11, A.Ptr, A.UInt);                                          // munmap
        X(12, A.Ptr);                                                  // brk
        X(25, A.Ptr, A.UInt, A.UInt, A.Hex, A.Ptr);                    // mremap
        S(26, A.Ptr, A.UInt, A.Hex);                                   // msync
        S(28, A.Ptr, A.UInt, A.Int);                                   // madvise

        // Signals
        S(13, A.Signal, A.SigActionIn, A.SigActionOut, A.UInt);        // rt_sigaction
        S(14, A.SigHow, A.SigSetIn, A.SigSetOut, A.UInt);              // rt_sigprocmask
        S(15);                                                         // rt_sigreturn
        S(34);                                                         // pause
        S(62, A.Int, A.Signal);                                        // kill
        S(127, A.SigSetOut, A.UInt);                                   // rt_sigpending
        S(128, A.SigSetIn, A.Ptr, A.TimespecIn, A.UInt);               // rt_sigtimedwait
        S(130, A.SigSetIn, A.UInt);                                    // rt_sigsuspend
        S(131, A.Ptr, A.Ptr);                                          // sigaltstack
        S(200, A.Int, A.Signal);                                       // tkill
        S(234, A.Int, A.Int, A.Signal);                                // tgkill

        // Processes
        S(35, A.TimespecIn, A.TimespecOut);                            // nanosleep
        S(39);                                                         // getpid
        S(56, A.CloneFlags, A.Ptr, A.Ptr, A.Ptr, A.Hex);               // clone
        S(57);                                                         // fork
        S(58);                                                         // vfork
        S(59, A.Path, A.Argv, A.Envp);                                 // execve
        S(60, A.Int);                                                  // exit
        S(61, A.Int, A.WaitStatusOut, A.WaitOptions, A.Ptr);           // wait4
        S(63, A.Ptr);                                                  // uname
        S(96, A.Ptr, A.Ptr);                                           // gettimeofday
        S(97, A.RlimitResource, A.Ptr);                                // getrlimit
        S(98, A.Int, A.Ptr);                                           // getrusage
        S(99, A.Ptr);                                                  // sysinfo
        S(102); S(104); S(107); S(108); S(110); S(111); S(112);        // getuid getgid geteuid getegid getppid getpgrp setsid
        S(105, A.Int); S(106, A.Int);                                  // setuid setgid
        S(109, A.Int, A.Int);                                          // setpgid
        S(121, A.Int); S(124, A.Int);                                  // getpgid getsid
        S(157, A.PrctlOption, A.Hex, A.Hex, A.Hex, A.Hex);             // prctl
        S(158, A.ArchPrctlCode, A.Hex);                                // arch_prctl
        S(186);                                                        // gettid
        S(201, A.Ptr);                                                 // time
        S(202, A.Ptr, A.FutexOp, A.Int, A.Ptr, A.Ptr, A.Int);          // futex
        S(218, A.Ptr);                                                 // set_tid_address
        S(228, A.ClockId, A.TimespecOut);                              // clock_gettime
        S(229, A.ClockId, A.TimespecOut);                              // clock_getres
        S(230, A.ClockId, A.Hex, A.TimespecIn, A.TimespecOut);         // clock_nanosleep
        S(231, A.Int);                                                 // exit_group
        S(247, A.Int, A.Int, A.Ptr, A.WaitOptions, A.Ptr);             // waitid
        S(273, A.Ptr, A.UInt);                                         // set_robust_list
        S(302, A.Int, A.RlimitResource, A.Ptr, A.Ptr);                 // prlimit64
        S(318, A.OutBuf, A.UInt, A.Hex);                               // getrandom
        S(322, A.DirFd, A.Path, A.Argv, A.Envp, A.AtFlags);            // execveat
        S(334, A.Ptr, A.UInt, A.Int, A.Hex);                           // rseq
        S(435, A.Ptr, A.UInt);                                         // clone3

        // Sockets
        S(41, A.SockDomain, A.SockType, A.Int);                        // socket
        S(42, A.Fd, A.SockaddrIn, A.UInt);                             // connect
        S(43, A.Fd, A.SockaddrOut, A.SockLenOut);                      // accept
        S(44, A.Fd, A.InBuf, A.UInt, A.MsgFlags, A.SockaddrIn, A.UInt); // sendto
        S(45, A.Fd, A.OutBuf, A.UInt, A.MsgFlags, A.SockaddrOut, A.SockLenOut); // recvfrom
        S(46, A.Fd, A.Ptr, A.MsgFlags);                                // sendmsg
        S(47, A.Fd, A.Ptr, A.MsgFlags);                                // recvmsg
        S(48, A.Fd, A.Int);                                            // shutdown
        S(49, A.Fd, A.SockaddrIn, A.UInt);                             // bind
        S(50, A.Fd, A.Int);                                            // listen
        S(51, A.Fd, A.SockaddrOut, A.SockLenOut);                      // getsockname
        S(52, A.Fd, A.SockaddrOut, A.SockLenOut);                      // getpeername
        S(53, A.SockDomain, A.SockType, A.Int, A.FdPairOut);           // socketpair
        S(54, A.Fd, A.SockLevel, A.Int, A.Ptr, A.UInt);                // setsockopt
        S(55, A.Fd, A.SockLevel, A.Int, A.IntOut, A.SockLenOut);       // getsockopt
        S(288, A.Fd, A.SockaddrOut, A.SockLenOut, A.CloexecFlags);     // accept4

        // Events
        S(213, A.Int);                                                 // epoll_create
        S(232, A.Fd, A.Ptr, A.Int, A.Int);                             // epoll_wait
        S(233, A.Fd, A.EpollOp, A.Fd, A.EpollEventIn);                 // epoll_ctl
        S(281, A.Fd, A.Ptr, A.Int, A.Int, A.SigSetIn, A.UInt);         // epoll_pwait
        S(283, A.ClockId, A.CloexecFlags);                             // timerfd_create
        S(284, A.UInt);                                                // eventfd
        S(290, A.UInt, A.CloexecFlags);                                // eventfd2
        S(291, A.CloexecFlags);                                        // epoll_create1
    }
}
