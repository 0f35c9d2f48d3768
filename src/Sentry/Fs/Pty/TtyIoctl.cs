namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>Terminal ioctl request numbers (asm-generic/ioctls.h, x86-64) a Sentry pty answers.</summary>
public static class TtyIoctl
{
    public const ulong TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404,
        TCSBRK = 0x5409, TCXONC = 0x540A, TCFLSH = 0x540B, TIOCEXCL = 0x540C, TIOCNXCL = 0x540D, TIOCSCTTY = 0x540E,
        TIOCGPGRP = 0x540F, TIOCSPGRP = 0x5410, TIOCOUTQ = 0x5411, TIOCSTI = 0x5412, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414,
        FIONREAD = 0x541B, TIOCINQ = 0x541B, TIOCPKT = 0x5420, TIOCNOTTY = 0x5422, TIOCSETD = 0x5423, TIOCGETD = 0x5424,
        TCSBRKP = 0x5425, TIOCSBRK = 0x5427, TIOCCBRK = 0x5428, TIOCGSID = 0x5429,
        TCGETS2 = 0x802C542A, TCSETS2 = 0x402C542B, TCSETSW2 = 0x402C542C, TCSETSF2 = 0x402C542D,
        TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431, TIOCGPTLCK = 0x80045439, TIOCGPKT = 0x80045438,
        TIOCGEXCL = 0x80045440, TIOCGPTPEER = 0x5441, TIOCVHANGUP = 0x5437;

    // TCFLSH
    public const int TCIFLUSH = 0, TCOFLUSH = 1, TCIOFLUSH = 2;

    // TCXONC
    public const int TCOOFF = 0, TCOON = 1, TCIOFF = 2, TCION = 3;

    /// <summary>struct winsize: rows, cols, xpixel, ypixel (unsigned shorts).</summary>
    public const int WinsizeSize = 8;
}
