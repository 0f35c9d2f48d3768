using System.Diagnostics;
using Csrunsc.Native;
using Xunit;

namespace Csrunsc.Tests.Native;

/// <summary>Interop structs and constants checked against the C headers, compiled here with gcc.</summary>
public sealed class StructLayoutTests
{
    private const string Program = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <signal.h>
        #include <sys/stat.h>
        #include <sys/user.h>
        #include <sys/mman.h>
        #include <sys/ptrace.h>
        #include <fcntl.h>
        #include <poll.h>
        int main(void) {
          printf("user_regs %zu %zu %zu %zu\n", sizeof(struct user_regs_struct), offsetof(struct user_regs_struct, orig_rax), offsetof(struct user_regs_struct, rip), offsetof(struct user_regs_struct, fs_base));
          printf("stat %zu %zu %zu %zu\n", sizeof(struct stat), offsetof(struct stat, st_mode), offsetof(struct stat, st_size), offsetof(struct stat, st_mtim));
          printf("siginfo %zu %zu\n", sizeof(siginfo_t), offsetof(siginfo_t, si_addr));
          printf("pollfd %zu\n", sizeof(struct pollfd));
          printf("consts %d %d %d %d %d\n", O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH, MAP_FIXED_NOREPLACE);
          printf("ptrace %d %d %d\n", PTRACE_SYSEMU, PTRACE_SEIZE, PTRACE_O_EXITKILL);
          return 0;
        }
        """;

    [Fact]
    public unsafe void MatchTheCHeaders()
    {
        string dir = Directory.CreateTempSubdirectory("csrunsc-layout-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "l.c"), Program);
            var gcc = Process.Start(new ProcessStartInfo("gcc", $"-o {dir}/l {dir}/l.c") { RedirectStandardError = true })!;
            gcc.WaitForExit();
            Assert.True(gcc.ExitCode == 0, gcc.StandardError.ReadToEnd());
            var run = Process.Start(new ProcessStartInfo($"{dir}/l") { RedirectStandardOutput = true })!;
            string output = run.StandardOutput.ReadToEnd();
            run.WaitForExit();
            string expected =
                $"user_regs {sizeof(UserRegs)} {Offset<UserRegs>(nameof(UserRegs.OrigRax))} {Offset<UserRegs>(nameof(UserRegs.Rip))} {Offset<UserRegs>(nameof(UserRegs.FsBase))}\n" +
                $"stat {sizeof(StatBuf)} {Offset<StatBuf>(nameof(StatBuf.Mode))} {Offset<StatBuf>(nameof(StatBuf.Size))} {Offset<StatBuf>(nameof(StatBuf.MtimeSec))}\n" +
                $"siginfo {sizeof(SigInfo)} {Offset<SigInfo>(nameof(SigInfo.Addr))}\n" +
                $"pollfd {sizeof(PollFd)}\n" +
                $"consts {Libc.O_DIRECTORY} {Libc.O_NOFOLLOW} {Libc.O_CLOEXEC} {Libc.O_PATH} {Libc.MAP_FIXED_NOREPLACE}\n" +
                $"ptrace {Libc.PTRACE_SYSEMU} {Libc.PTRACE_SEIZE} {Libc.PTRACE_O_EXITKILL}\n";
            Assert.Equal(expected, output);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static int Offset<T>(string field) where T : unmanaged =>
        (int)System.Runtime.InteropServices.Marshal.OffsetOf<T>(field);
}
