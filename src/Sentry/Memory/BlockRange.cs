namespace Csrunsc.Sentry.Memory;

/// <summary>
/// The block indices in [first, end) worth visiting: every index when the range is small, else only
/// those present in a set of known blocks (sorted). A guest range may span 2^31 blocks (mmap or
/// munmap of 128 TiB); walking each index would keep a task thread busy for seconds per call.
/// </summary>
internal readonly struct BlockRange(ulong first, ulong end, ICollection<ulong> present)
{
    /// <summary>Ranges up to this many blocks (256 MiB) are walked index by index.</summary>
    private const ulong WalkLimit = 4096;

    public Enumerator GetEnumerator()
    {
        if (end <= first || end - first <= WalkLimit || end - first <= (ulong)present.Count)
            return new Enumerator(first, end, null);
        // Rare (huge ranges): a sorted snapshot, so the caller may change the set while visiting.
        var inRange = new List<ulong>();
        foreach (ulong k in present)
            if (k >= first && k < end) inRange.Add(k);
        inRange.Sort();
        return new Enumerator(0, (ulong)inRange.Count, inRange);
    }

    public struct Enumerator(ulong from, ulong to, List<ulong>? list)
    {
        private ulong _next = from;

        public ulong Current { get; private set; }

        public bool MoveNext()
        {
            if (_next >= to) return false;
            Current = list is null ? _next : list[(int)_next];
            _next++;
            return true;
        }
    }
}
