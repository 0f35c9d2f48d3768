using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel.Ptrace;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>
/// ptrace(2) for guest tracers (strace, gdb, sanitizers), emulated by the Sentry: the request's
/// arguments are decoded here, the semantics live in Kernel/Ptrace. Requests not offered
/// (SYSEMU_SINGLESTEP, SINGLEBLOCK, PEEKSIGINFO, seccomp ones, i386 ones) are EIO, as Linux
/// answers an unknown request.
/// </summary>
internal static class SysPtrace
{
    public static long Ptrace(Task t, in SyscallArguments a)
    {
        long req = (long)a.A0;
        int pid = a.Int(1);
        ulong addr = a.A2, data = a.A3;
        if (req == PtraceAbi.TRACEME) return t.PtraceTraceMe();

        var target = pid > 0 ? t.Kernel.Pids.TaskById(pid) : null;
        if (target is null) return -Errno.ESRCH;
        if (req is PtraceAbi.ATTACH or PtraceAbi.SEIZE)
        {
            if (req == PtraceAbi.ATTACH) return t.PtraceAttach(target, seize: false, 0);
            if (addr != 0) return -Errno.EIO;
            if ((data & ~(ulong)PtraceAbi.SupportedOptions) != 0) return -Errno.EINVAL;
            return t.PtraceAttach(target, seize: true, (int)data);
        }
        if (req == PtraceAbi.KILL) return t.PtraceKillTracee(target);
        if (req == PtraceAbi.INTERRUPT) return t.PtraceInterruptTracee(target);
        // Everything else needs the tracee in a ptrace-stop of this tracer (ptrace_check_attach).
        if (!target.IsPtraceStoppedBy(t.ThreadGroup)) return -Errno.ESRCH;

        switch (req)
        {
            case PtraceAbi.PEEKTEXT or PtraceAbi.PEEKDATA:
            {
                int r = t.PtracePeek(target, addr, out ulong word);
                if (r < 0) return r;
                return t.WriteStruct(data, word) < 0 ? -Errno.EFAULT : 0;
            }
            case PtraceAbi.POKETEXT or PtraceAbi.POKEDATA:
                return t.PtracePoke(target, addr, data);
            case PtraceAbi.PEEKUSR:
            {
                int r = Task.PtracePeekUser(target, addr, out ulong word);
                if (r < 0) return r;
                return t.WriteStruct(data, word) < 0 ? -Errno.EFAULT : 0;
            }
            case PtraceAbi.POKEUSR:
                return Task.PtracePokeUser(target, addr, data);
            case PtraceAbi.CONT: return t.PtraceResumeTracee(target, PtraceResume.Cont, (int)data);
            case PtraceAbi.SYSCALL: return t.PtraceResumeTracee(target, PtraceResume.Syscall, (int)data);
            case PtraceAbi.SYSEMU: return t.PtraceResumeTracee(target, PtraceResume.Sysemu, (int)data);
            case PtraceAbi.SINGLESTEP: return t.PtraceResumeTracee(target, PtraceResume.SingleStep, (int)data);
            case PtraceAbi.DETACH:
                if (data > 64) return -Errno.EIO;
                return t.PtraceDetach(target, (int)data);
            case PtraceAbi.LISTEN: return t.PtraceListen(target);
            case PtraceAbi.SETOPTIONS: return t.PtraceSetOptions(target, data);
            case PtraceAbi.GETEVENTMSG:
                return t.WriteStruct(data, target.PtraceEventMsg) < 0 ? -Errno.EFAULT : 0;
            case PtraceAbi.GETREGS:
                return t.CopyOut(data, Task.PtraceRegBytes(target)) < 0 ? -Errno.EFAULT : 0;
            case PtraceAbi.SETREGS:
            {
                Span<ulong> w = stackalloc ulong[PtraceAbi.RegsSize / 8];
                if (t.CopyIn(data, MemoryMarshal.AsBytes(w)) < 0) return -Errno.EFAULT;
                return Task.PtraceSetRegs(target, w);
            }
            case PtraceAbi.GETFPREGS:
                return t.CopyOut(data, Task.PtraceFpBytes(target)) < 0 ? -Errno.EFAULT : 0;
            case PtraceAbi.SETFPREGS:
            {
                Span<byte> fx = stackalloc byte[PtraceAbi.FpRegsSize];
                if (t.CopyIn(data, fx) < 0) return -Errno.EFAULT;
                Task.PtraceSetFp(target, fx);
                return 0;
            }
            case PtraceAbi.GETREGSET or PtraceAbi.SETREGSET:
                return RegSet(t, target, req == PtraceAbi.SETREGSET, (int)addr, data);
            case PtraceAbi.GETSIGINFO:
            {
                int r = Task.PtraceGetSigInfo(target, out SigInfo info);
                if (r < 0) return r;
                return t.WriteStruct(data, info) < 0 ? -Errno.EFAULT : 0;
            }
            case PtraceAbi.SETSIGINFO:
            {
                if (t.ReadStruct(data, out SigInfo info) < 0) return -Errno.EFAULT;
                return Task.PtraceSetSigInfo(target, in info);
            }
            case PtraceAbi.GETSIGMASK:
                if (addr != 8) return -Errno.EINVAL;
                return t.WriteStruct(data, target.SignalMask) < 0 ? -Errno.EFAULT : 0;
            case PtraceAbi.SETSIGMASK:
            {
                if (addr != 8) return -Errno.EINVAL;
                if (t.ReadStruct(data, out ulong mask) < 0) return -Errno.EFAULT;
                Task.PtraceSetSigMask(target, mask);
                return 0;
            }
            case PtraceAbi.ARCH_PRCTL:
                return ArchPrctl(t, target, (int)data, addr);
            case PtraceAbi.GET_SYSCALL_INFO:
                return SyscallInfo(t, target, addr, data);
            default:
                return -Errno.EIO;
        }
    }

    /// <summary>GETREGSET/SETREGSET through a struct iovec: NT_PRSTATUS and NT_FPREGSET (others EINVAL); iov_len becomes the size moved.</summary>
    private static long RegSet(Task t, Task target, bool set, int type, ulong iovAddr)
    {
        if (t.ReadStruct(iovAddr, out Iovec iov) < 0) return -Errno.EFAULT;
        int size = type switch { PtraceAbi.NT_PRSTATUS => PtraceAbi.RegsSize, PtraceAbi.NT_FPREGSET => PtraceAbi.FpRegsSize, _ => -1 };
        if (size < 0) return -Errno.EINVAL;
        int n = (int)Math.Min((ulong)size, iov.Len);
        if (!set)
        {
            var src = type == PtraceAbi.NT_PRSTATUS ? Task.PtraceRegBytes(target) : Task.PtraceFpBytes(target);
            if (t.CopyOut(iov.Base, src[..n]) < 0) return -Errno.EFAULT;
        }
        else if (type == PtraceAbi.NT_PRSTATUS)
        {
            // A partial set changes the leading registers only (regset's copyin from the current values).
            Span<ulong> w = stackalloc ulong[PtraceAbi.RegsSize / 8];
            Task.PtraceRegBytes(target).CopyTo(MemoryMarshal.AsBytes(w));
            if (t.CopyIn(iov.Base, MemoryMarshal.AsBytes(w)[..n]) < 0) return -Errno.EFAULT;
            int r = Task.PtraceSetRegs(target, w);
            if (r < 0) return r;
        }
        else
        {
            Span<byte> fx = stackalloc byte[PtraceAbi.FpRegsSize];
            Task.PtraceFpBytes(target).CopyTo(fx);
            if (t.CopyIn(iov.Base, fx[..n]) < 0) return -Errno.EFAULT;
            Task.PtraceSetFp(target, fx);
        }
        iov.Len = (ulong)n;
        return t.WriteStruct(iovAddr, iov) < 0 ? -Errno.EFAULT : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Iovec
    {
        public ulong Base, Len;
    }

    private const int ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;

    /// <summary>PTRACE_ARCH_PRCTL: the tracee's fs/gs base (the same checks as POKEUSR of fs_base/gs_base).</summary>
    private static long ArchPrctl(Task t, Task target, int code, ulong addr)
    {
        switch (code)
        {
            case ARCH_GET_FS: return t.WriteStruct(addr, target.Regs.FsBase) < 0 ? -Errno.EFAULT : 0;
            case ARCH_GET_GS: return t.WriteStruct(addr, target.Regs.GsBase) < 0 ? -Errno.EFAULT : 0;
            case ARCH_SET_FS: return Task.PtracePokeUser(target, 21 * 8, addr) < 0 ? -Errno.EPERM : 0;
            case ARCH_SET_GS: return Task.PtracePokeUser(target, 22 * 8, addr) < 0 ? -Errno.EPERM : 0;
            default: return -Errno.EINVAL;
        }
    }

    private const uint AuditArchX86_64 = 0xC000003E;

    /// <summary>
    /// PTRACE_GET_SYSCALL_INFO: struct ptrace_syscall_info for the current stop (op 1 entry with nr
    /// and args, 2 exit with rval/is_error, 0 otherwise); returns the size the kernel has for it,
    /// copying at most addr bytes.
    /// </summary>
    private static long SyscallInfo(Task t, Task target, ulong size, ulong data)
    {
        Span<byte> b = stackalloc byte[88];
        b.Clear();
        ref var r = ref target.Regs;
        int op = Task.PtraceSyscallOp(target);
        b[0] = (byte)op;
        MemoryMarshal.Write(b[4..], AuditArchX86_64);
        MemoryMarshal.Write(b[8..], r.Rip);
        MemoryMarshal.Write(b[16..], r.Rsp);
        int len = 24;
        if (op == 1)
        {
            MemoryMarshal.Write(b[24..], r.OrigRax);
            MemoryMarshal.Write(b[32..], r.Rdi);
            MemoryMarshal.Write(b[40..], r.Rsi);
            MemoryMarshal.Write(b[48..], r.Rdx);
            MemoryMarshal.Write(b[56..], r.R10);
            MemoryMarshal.Write(b[64..], r.R8);
            MemoryMarshal.Write(b[72..], r.R9);
            len = 80;
        }
        else if (op == 2)
        {
            long rval = (long)r.Rax;
            MemoryMarshal.Write(b[24..], rval);
            b[32] = (byte)(rval < 0 && rval >= -4095 ? 1 : 0);
            len = 33;
        }
        int n = (int)Math.Min(size, (ulong)len);
        if (n > 0 && t.CopyOut(data, b[..n]) < 0) return -Errno.EFAULT;
        return len;
    }
}
