using System.Runtime.InteropServices;

namespace Csrunsc.Native;

/// <summary>
/// Catches the signals a process standing in for a container process must pass on (the sandbox
/// for init, `run`, an exec proxy) and hands each to forward instead of acting on it.
/// </summary>
public sealed class SignalForwarder : IDisposable
{
    /// <summary>What runc forwards to the container: everything a user or an orchestrator sends.</summary>
    public static readonly int[] ContainerSignals =
        [Libc.SIGTERM, Libc.SIGINT, Libc.SIGHUP, Libc.SIGQUIT, Libc.SIGWINCH, Libc.SIGUSR1, Libc.SIGUSR2];

    private readonly List<PosixSignalRegistration> _registrations = new();

    public SignalForwarder(Action<int> forward, IEnumerable<int>? signals = null)
    {
        foreach (int sig in signals ?? ContainerSignals)
        {
            int n = sig;
            _registrations.Add(PosixSignalRegistration.Create(ToPosixSignal(n), c =>
            {
                c.Cancel = true;
                forward(n);
            }));
        }
    }

    /// <summary>.NET names the portable signals with its own (negative) values; others are raw numbers.</summary>
    private static PosixSignal ToPosixSignal(int sig) => sig switch
    {
        Libc.SIGTERM => PosixSignal.SIGTERM,
        Libc.SIGINT => PosixSignal.SIGINT,
        Libc.SIGHUP => PosixSignal.SIGHUP,
        Libc.SIGQUIT => PosixSignal.SIGQUIT,
        Libc.SIGWINCH => PosixSignal.SIGWINCH,
        Libc.SIGCONT => PosixSignal.SIGCONT,
        Libc.SIGCHLD => PosixSignal.SIGCHLD,
        Libc.SIGTSTP => PosixSignal.SIGTSTP,
        _ => (PosixSignal)sig,
    };

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _registrations.Clear();
    }
}
