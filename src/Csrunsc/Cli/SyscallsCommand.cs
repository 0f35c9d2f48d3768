using System.Text;
using Csrunsc.Sentry.Syscalls;

namespace Csrunsc.Cli;

/// <summary>`syscalls`: the Sentry's syscall table as markdown (number, name, support level, note).</summary>
public static class SyscallsCommand
{
    public static int Run()
    {
        var sb = new StringBuilder("| nr | name | level | note |\n|---|---|---|---|\n");
        foreach (var e in SyscallTable.All.OrderBy(e => e.Number))
            sb.Append("| ").Append(e.Number).Append(" | ").Append(e.Name).Append(" | ").Append(e.Level).Append(" | ").Append(e.Note).Append(" |\n");
        Native.Libc.WriteString(1, sb.ToString());
        return 0;
    }
}
