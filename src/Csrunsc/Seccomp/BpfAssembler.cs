using Csrunsc.Sentry.Kernel.Seccomp;

namespace Csrunsc.Seccomp;

/// <summary>Emits classic-BPF with forward labels, resolved into 8-bit jump offsets at the end.</summary>
internal sealed class BpfAssembler
{
    private const ushort LdWAbs = 0x20, AluAndK = 0x54, JeqK = 0x15, JgtK = 0x25, JgeK = 0x35, RetK = 0x06;
    private readonly List<(SockFilter Insn, int TrueLabel, int FalseLabel)> _code = [];
    private readonly List<int> _labels = [];

    public int NewLabel()
    {
        _labels.Add(-1);
        return _labels.Count - 1;
    }

    public void Mark(int label) => _labels[label] = _code.Count;

    public void LoadWord(uint offset) => _code.Add((new SockFilter(LdWAbs, 0, 0, offset), -1, -1));
    public void And(uint k) => _code.Add((new SockFilter(AluAndK, 0, 0, k), -1, -1));
    public void Return(uint k) => _code.Add((new SockFilter(RetK, 0, 0, k), -1, -1));
    public void JumpIfEqual(uint k, int t, int f) => _code.Add((new SockFilter(JeqK, 0, 0, k), t, f));
    public void JumpIfGreater(uint k, int t, int f) => _code.Add((new SockFilter(JgtK, 0, 0, k), t, f));
    public void JumpIfGreaterOrEqual(uint k, int t, int f) => _code.Add((new SockFilter(JgeK, 0, 0, k), t, f));

    public SockFilter[]? Build(out string? error)
    {
        error = null;
        var prog = new SockFilter[_code.Count];
        for (int pc = 0; pc < _code.Count; pc++)
        {
            var (insn, t, f) = _code[pc];
            if (t < 0)
            {
                prog[pc] = insn;
                continue;
            }
            int jt = _labels[t] - pc - 1, jf = _labels[f] - pc - 1;
            if (jt < 0 || jf < 0 || jt > 255 || jf > 255)
            {
                error = "seccomp: a rule is too long to compile";
                return null;
            }
            prog[pc] = insn with { Jt = (byte)jt, Jf = (byte)jf };
        }
        return prog;
    }
}
