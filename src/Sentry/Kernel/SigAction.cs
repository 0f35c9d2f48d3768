using System.Runtime.InteropServices;

namespace Csrunsc.Sentry.Kernel;

/// <summary>The kernel's struct sigaction as rt_sigaction passes it (x86-64): 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SigAction
{
    public ulong Handler;
    public ulong Flags;
    public ulong Restorer;
    public ulong Mask;

    public const ulong SIG_DFL = 0, SIG_IGN = 1;
    public const ulong SA_NOCLDSTOP = 1, SA_NOCLDWAIT = 2, SA_SIGINFO = 4, SA_RESTORER = 0x04000000,
        SA_ONSTACK = 0x08000000, SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;
}

/// <summary>Signal dispositions of a thread group (shared by CLONE_SIGHAND).</summary>
public sealed class SignalHandlers
{
    public const int MaxSignal = 64;
    public readonly SigAction[] Actions = new SigAction[MaxSignal + 1];

    public SignalHandlers Clone()
    {
        var c = new SignalHandlers();
        Array.Copy(Actions, c.Actions, Actions.Length);
        return c;
    }

    /// <summary>execve: handled signals go back to their default; ignored ones stay ignored.</summary>
    public void ResetForExec()
    {
        for (int i = 1; i <= MaxSignal; i++)
        {
            if (Actions[i].Handler != SigAction.SIG_IGN) Actions[i] = default;
            else Actions[i].Flags = 0;
        }
    }
}
