namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// The argument values a generated seccomp profile filters on (<see cref="Diagnostics.SeccompProfile"/>),
/// recorded by the handlers at entry, failed calls included (the profile must let the workload
/// make them and see the same error): socket(2)'s and socketpair(2)'s families (arg0), the
/// namespace bits of clone(2) and unshare(2) flags (arg0, the bits Docker's default profile masks)
/// and personality(2) personas (arg0). Each record is a read and, the first time a value is seen,
/// one interlocked OR or compare-exchange into fixed fields: nothing is allocated on the syscall path.
/// </summary>
public sealed class SyscallArgumentUse
{
    /// <summary>CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: Docker's MASKED_EQ mask 0x7E020000 for clone.</summary>
    public const ulong CloneNamespaceBits = 0x7E020000;

    /// <summary>unshare(2) also takes CLONE_NEWTIME (0x80; in clone(2) that bit is the exit signal's).</summary>
    public const ulong UnshareNamespaceBits = CloneNamespaceBits | 0x80;

    /// <summary>How many distinct personas are kept; past it the profile allows any.</summary>
    public const int PersonaSlots = 8;

    private long _socketFamilies;      // bit f: socket(f, ...) seen, f < 64
    private long _socketpairFamilies;
    private int _socketOther;          // a family outside 0..63 (negative, huge): no filter possible
    private long _cloneNamespaces;     // the namespace bits clone(2) was called with
    private long _unshareNamespaces;
    private readonly long[] _personas = [-1, -1, -1, -1, -1, -1, -1, -1]; // uint personas, -1 free
    private int _personaOverflow;

    public void Socket(long family) => Family(ref _socketFamilies, family);

    public void Socketpair(long family) => Family(ref _socketpairFamilies, family);

    private void Family(ref long set, long family)
    {
        if ((ulong)family >= 64)
        {
            if (Volatile.Read(ref _socketOther) == 0) Interlocked.Exchange(ref _socketOther, 1);
            return;
        }
        long bit = 1L << (int)family;
        if ((Volatile.Read(ref set) & bit) == 0) Interlocked.Or(ref set, bit);
    }

    public void Clone(ulong flags) => Bits(ref _cloneNamespaces, flags & CloneNamespaceBits);

    public void Unshare(ulong flags) => Bits(ref _unshareNamespaces, flags & UnshareNamespaceBits);

    private static void Bits(ref long set, ulong bits)
    {
        if (bits != 0 && ((ulong)Volatile.Read(ref set) & bits) != bits) Interlocked.Or(ref set, (long)bits);
    }

    public void Personality(uint persona)
    {
        for (int i = 0; i < PersonaSlots; i++)
        {
            long v = Volatile.Read(ref _personas[i]);
            if (v == persona) return;
            if (v == -1)
            {
                long was = Interlocked.CompareExchange(ref _personas[i], persona, -1);
                if (was == -1 || was == persona) return;
            }
        }
        if (Volatile.Read(ref _personaOverflow) == 0) Interlocked.Exchange(ref _personaOverflow, 1);
    }

    /// <summary>The families socket(2) (or socketpair) was called with, ascending; null when one was outside 0..63.</summary>
    public List<int>? SocketFamilies(bool pair = false) =>
        Volatile.Read(ref _socketOther) != 0 ? null : BitsOf((ulong)Volatile.Read(ref pair ? ref _socketpairFamilies : ref _socketFamilies));

    public ulong CloneNamespaces => (ulong)Volatile.Read(ref _cloneNamespaces);

    public ulong UnshareNamespaces => (ulong)Volatile.Read(ref _unshareNamespaces);

    /// <summary>The personas personality(2) was called with, ascending; null when there were more than <see cref="PersonaSlots"/>.</summary>
    public List<uint>? Personas()
    {
        if (Volatile.Read(ref _personaOverflow) != 0) return null;
        var list = new List<uint>();
        for (int i = 0; i < PersonaSlots; i++)
            if (Volatile.Read(ref _personas[i]) is var v and >= 0) list.Add((uint)v);
        list.Sort();
        return list;
    }

    private static List<int> BitsOf(ulong set)
    {
        var list = new List<int>();
        for (int b = 0; b < 64; b++)
            if ((set & (1UL << b)) != 0) list.Add(b);
        return list;
    }
}
