namespace Csrunsc.Sentry.Memory;

/// <summary>
/// Told when a VMA of an object is made and when one goes (Linux's vm_operations open/close):
/// SysV shared memory counts its attachments with it. Every split, fork copy or move of the VMA
/// is one more Open; every unmap, exec or exit of one is a Close. Called with the address
/// space's lock held: implementations must not touch guest memory.
/// </summary>
public interface IVmaOps
{
    void Open();
    void Close();

    /// <summary>The bytes one attachment spans (the segment's size): what shmdt unmaps.</summary>
    ulong AttachSize { get; }
}
