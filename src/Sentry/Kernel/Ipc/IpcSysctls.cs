using System.Globalization;

namespace Csrunsc.Sentry.Kernel.Ipc;

/// <summary>
/// The IPC namespace's sysctls (kernel.shm*, kernel.sem, kernel.msg*, fs.mqueue.*), as config.json's
/// linux.sysctl sets them: parsed and bounded as Linux's proc handlers bound them (ipc/ipc_sysctl.c,
/// ipc/mq_sysctl.c; EINVAL → a create-time error), then applied to the namespace the container's
/// processes use. kernel.shm_rmid_forced=1 is refused: its forced-removal semantics are not built.
/// </summary>
public static class IpcSysctls
{
    public static readonly string[] Keys =
    [
        "kernel.shmmax", "kernel.shmall", "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.sem",
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
        "fs.mqueue.queues_max", "fs.mqueue.msg_max", "fs.mqueue.msgsize_max", "fs.mqueue.msg_default", "fs.mqueue.msgsize_default",
    ];

    /// <summary>semop's operation array lives on the Sentry's stack: semopm is capped here (Linux allows more).</summary>
    public const int MaxSemOpm = 4096;

    public static bool IsIpcKey(string key) => Array.IndexOf(Keys, key) >= 0;

    /// <summary>Checks a value without applying it (create-time validation); null when valid, else the error line.</summary>
    public static string? Check(string key, string value) => Apply(null, key, value);

    /// <summary>Sets key to value in ns (or only checks, when ns is null); null when done, else the error line.</summary>
    public static string? Apply(IpcNamespace? ns, string key, string value)
    {
        string v = value.Trim();
        string invalid = $"write /proc/sys/{key.Replace('.', '/')} (sysctl {key} = \"{value}\"): invalid argument";
        switch (key)
        {
            case "kernel.shmmax":
            case "kernel.shmall":
            {
                if (!ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u)) return invalid;
                if (ns is not null)
                {
                    if (key == "kernel.shmmax") ns.ShmMax = u;
                    else ns.ShmAll = u;
                }
                return null;
            }
            case "kernel.shm_rmid_forced":
            {
                if (!TryInt(v, 0, 1, out int forced)) return invalid;
                return forced == 1 ? $"sysctl \"{key}\" = 1 is not supported by csrunsc (segments are never force-removed)" : null;
            }
            case "kernel.sem":
            {
                // SEMMSL SEMMNS SEMOPM SEMMNI; fewer values set only the first ones, as proc_dointvec does.
                var parts = v.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length is < 1 or > 4) return invalid;
                int[] sem = [ns?.SemMsl ?? IpcNamespace.DefaultSemMsl, ns?.SemMns ?? IpcNamespace.DefaultSemMns,
                             ns?.SemOpm ?? IpcNamespace.DefaultSemOpm, ns?.Sem.Mni ?? IpcNamespace.DefaultSemMni];
                for (int i = 0; i < parts.Length; i++)
                    if (!TryInt(parts[i], 0, i == 3 ? IpcNamespace.IpcMni : int.MaxValue, out sem[i])) return invalid;
                if (sem[2] > MaxSemOpm) return $"sysctl \"{key}\": semopm {sem[2]} is above csrunsc's limit of {MaxSemOpm}";
                if (ns is not null)
                {
                    ns.SemMsl = sem[0];
                    ns.SemMns = sem[1];
                    ns.SemOpm = sem[2];
                    ns.Sem.Mni = sem[3];
                }
                return null;
            }
        }
        var (min, max) = key switch
        {
            "kernel.shmmni" or "kernel.msgmni" => (0, IpcNamespace.IpcMni),
            "kernel.msgmax" or "kernel.msgmnb" or "fs.mqueue.queues_max" => (0, int.MaxValue),
            "fs.mqueue.msg_max" or "fs.mqueue.msg_default" => (1, Fs.Mqueue.MqueueFileSystem.HardMsgMax),
            "fs.mqueue.msgsize_max" or "fs.mqueue.msgsize_default" => (128, Fs.Mqueue.MqueueFileSystem.HardMsgSizeMax),
            _ => (-1, -1),
        };
        if (min < 0) return $"sysctl \"{key}\" is not an IPC namespace sysctl";
        if (!TryInt(v, min, max, out int n)) return invalid;
        if (ns is null) return null;
        var mq = ns.Mqueue;
        switch (key)
        {
            case "kernel.shmmni": ns.Shm.Mni = n; break;
            case "kernel.msgmni": ns.Msg.Mni = n; break;
            case "kernel.msgmax": ns.MsgMax = n; break;
            case "kernel.msgmnb": ns.MsgMnb = n; break;
            case "fs.mqueue.queues_max": mq.QueuesMax = n; break;
            case "fs.mqueue.msg_max": mq.MsgMax = n; break;
            case "fs.mqueue.msg_default": mq.MsgDefault = n; break;
            case "fs.mqueue.msgsize_max": mq.MsgSizeMax = n; break;
            case "fs.mqueue.msgsize_default": mq.MsgSizeDefault = n; break;
        }
        return null;
    }

    private static bool TryInt(string s, int min, int max, out int value) =>
        int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
}
