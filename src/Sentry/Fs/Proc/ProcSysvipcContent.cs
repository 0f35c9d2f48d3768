using System.Globalization;
using System.Text;
using Csrunsc.Sentry.Kernel.Ipc;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>/proc/sysvipc/{shm,sem,msg} and the IPC limits of /proc/sys, in Linux's formats (ipc/shm.c, sem.c, msg.c, util.c).</summary>
internal static class ProcSysvipcContent
{
    public static string Shm(IpcNamespace ns)
    {
        var sb = new StringBuilder("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n");
        lock (ns.Shm.Lock)
        {
            foreach (var s in ns.Shm.All())
            {
                sb.Append(F("{0,10} {1,10}  {2,4} {3,21} {4,5} {5,5}  {6,5} {7,5} {8,5} {9,5} {10,5} {11,10} {12,10} {13,10} {14,21} {15,21}\n",
                    s.Key, s.Id, Octal(s.Mode), s.Size, s.Cpid, s.Lpid, s.Nattch, s.Uid, s.Gid, s.Cuid, s.Cgid,
                    s.AtimeSec, s.DtimeSec, s.CtimeSec, (long)s.Pages.MaterializedPages * 4096, 0));
            }
        }
        return sb.ToString();
    }

    public static string Sem(IpcNamespace ns)
    {
        var sb = new StringBuilder("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n");
        lock (ns.Sem.Lock)
        {
            foreach (var s in ns.Sem.All())
            {
                sb.Append(F("{0,10} {1,10}  {2,4} {3,10} {4,5} {5,5} {6,5} {7,5} {8,10} {9,10}\n",
                    s.Key, s.Id, Octal(s.Mode), s.Sems.Length, s.Uid, s.Gid, s.Cuid, s.Cgid, s.OtimeSec, s.CtimeSec));
            }
        }
        return sb.ToString();
    }

    public static string Msg(IpcNamespace ns)
    {
        var sb = new StringBuilder("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n");
        lock (ns.Msg.Lock)
        {
            foreach (var q in ns.Msg.All())
            {
                sb.Append(F("{0,10} {1,10}  {2,4}  {3,10} {4,10} {5,5} {6,5} {7,5} {8,5} {9,5} {10,5} {11,10} {12,10} {13,10}\n",
                    q.Key, q.Id, Octal(q.Mode), q.Bytes, q.Messages.Count, q.Lspid, q.Lrpid, q.Uid, q.Gid, q.Cuid, q.Cgid,
                    q.StimeSec, q.RtimeSec, q.CtimeSec));
            }
        }
        return sb.ToString();
    }

    /// <summary>/proc/sys/kernel/sem: SEMMSL, SEMMNS, SEMOPM, SEMMNI.</summary>
    public static string SemLimits(IpcNamespace ns) =>
        F("{0}\t{1}\t{2}\t{3}", ns.SemMsl, ns.SemMns, ns.SemOpm, ns.Sem.Mni);

    private static string Octal(uint mode) => Convert.ToString(mode, 8);

    private static string F(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
