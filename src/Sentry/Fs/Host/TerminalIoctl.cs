namespace Csrunsc.Sentry.Fs.Host;

/// <summary>Terminal ioctl request numbers (asm-generic/ioctls.h) and the sizes of their arguments.</summary>
public static class TerminalIoctl
{
    public const ulong TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404,
        TIOCGPGRP = 0x540F, TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541B;

    /// <summary>The kernel's struct termios (not glibc's larger one): 4 flags, c_line, 19 control chars.</summary>
    public const int TermiosSize = 36;

    /// <summary>struct winsize: four unsigned shorts.</summary>
    public const int WinsizeSize = 8;
}
