using System.Runtime.InteropServices;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// The kernel's struct termios (36 bytes, what TCGETS/TCSETS move) plus termios2's speeds, with the
/// flag bits and control-character indices of asm-generic/termbits.h (x86-64 values).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct Termios
{
    public uint IFlag, OFlag, CFlag, LFlag;
    public byte Line;
    public fixed byte CC[NCCS];
    /// <summary>termios2 only (TCGETS2/TCSETS2): the speeds; TCGETS reports them through CBAUD in CFlag.</summary>
    public uint ISpeed, OSpeed;

    public const int NCCS = 19;
    public const int Size = 36, Size2 = 44;

    // c_iflag
    public const uint IGNBRK = 0x1, BRKINT = 0x2, IGNPAR = 0x4, PARMRK = 0x8, INPCK = 0x10, ISTRIP = 0x20, INLCR = 0x40,
        IGNCR = 0x80, ICRNL = 0x100, IUCLC = 0x200, IXON = 0x400, IXANY = 0x800, IXOFF = 0x1000, IMAXBEL = 0x2000, IUTF8 = 0x4000;

    // c_oflag
    public const uint OPOST = 0x1, OLCUC = 0x2, ONLCR = 0x4, OCRNL = 0x8, ONOCR = 0x10, ONLRET = 0x20, TABDLY = 0x1800, XTABS = 0x1800;

    // c_cflag
    public const uint CBAUD = 0x100F, B38400 = 0xF, CS8 = 0x30, CREAD = 0x80, HUPCL = 0x400, BOTHER = 0x1000, CIBAUD = 0x100F0000;

    // c_lflag
    public const uint ISIG = 0x1, ICANON = 0x2, XCASE = 0x4, ECHO = 0x8, ECHOE = 0x10, ECHOK = 0x20, ECHONL = 0x40, NOFLSH = 0x80,
        TOSTOP = 0x100, ECHOCTL = 0x200, ECHOPRT = 0x400, ECHOKE = 0x800, FLUSHO = 0x1000, PENDIN = 0x4000, IEXTEN = 0x8000, EXTPROC = 0x10000;

    // c_cc indices
    public const int VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSWTC = 7, VSTART = 8, VSTOP = 9,
        VSUSP = 10, VEOL = 11, VREPRINT = 12, VDISCARD = 13, VWERASE = 14, VLNEXT = 15, VEOL2 = 16;

    /// <summary>_POSIX_VDISABLE: a control character of 0 is switched off.</summary>
    public const byte Disabled = 0;

    /// <summary>INIT_C_CC: ^C ^\ DEL ^U ^D TIME=0 MIN=1 - ^Q ^S ^Z - ^R ^O ^W ^V -.</summary>
    private static ReadOnlySpan<byte> InitCC => [3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0];

    /// <summary>A replica's termios when its pty is made (tty_std_termios with the pty driver's c_cflag).</summary>
    public static Termios ReplicaDefault()
    {
        var t = new Termios
        {
            IFlag = ICRNL | IXON,
            OFlag = OPOST | ONLCR,
            CFlag = B38400 | CS8 | CREAD,
            LFlag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            ISpeed = 38400,
            OSpeed = 38400,
        };
        for (int i = 0; i < InitCC.Length; i++) t.CC[i] = InitCC[i];
        return t;
    }

    /// <summary>A master's termios (the pty driver's: raw, no echo).</summary>
    public static Termios MasterDefault()
    {
        var t = ReplicaDefault();
        t.IFlag = 0;
        t.OFlag = 0;
        t.LFlag = 0;
        return t;
    }

    public readonly bool Has(uint lflag) => (LFlag & lflag) != 0;
    public readonly bool HasI(uint iflag) => (IFlag & iflag) != 0;
    public readonly bool HasO(uint oflag) => (OFlag & oflag) != 0;

    public readonly byte Char(int index) => CC[index];

    /// <summary>Whether c is the enabled control character at index.</summary>
    public readonly bool Is(byte c, int index) => CC[index] != Disabled && CC[index] == c;

    /// <summary>Copies the first <paramref name="size"/> bytes (36: termios, 44: termios2) out.</summary>
    public readonly void WriteTo(Span<byte> dst, int size)
    {
        fixed (Termios* p = &this) new ReadOnlySpan<byte>(p, size).CopyTo(dst);
    }

    /// <summary>Reads a termios (36 bytes) or termios2 (44) from guest bytes; termios keeps the current speeds.</summary>
    public static Termios ReadFrom(ReadOnlySpan<byte> src, in Termios current)
    {
        Termios t = current;
        src.CopyTo(new Span<byte>(&t, src.Length));
        return t;
    }
}
