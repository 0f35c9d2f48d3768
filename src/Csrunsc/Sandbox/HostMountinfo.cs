using System.Text;

namespace Csrunsc.Sandbox;

/// <summary>
/// The host's /proc/self/mountinfo as the runtime sees it at create: where a bind mount's source
/// lies inside its own filesystem, which is the root field Linux shows for the bind mount (a bind
/// of /srv/data, /srv being on a filesystem mounted at /, has root /srv/data; of /tmp/x with /tmp a
/// tmpfs, root /x).
/// </summary>
public static class HostMountinfo
{
    /// <summary>The source's path in its filesystem; "/" when the host table cannot be read.</summary>
    public static string RootInFileSystem(string hostPath, string mountinfoText)
    {
        string path = hostPath.Length > 1 ? hostPath.TrimEnd('/') : hostPath;
        string? bestPoint = null, bestRoot = null;
        foreach (var line in mountinfoText.Split('\n'))
        {
            var f = line.Split(' ');
            if (f.Length < 5) continue;
            string root = Unescape(f[3]), point = Unescape(f[4]);
            bool under = point == "/" || path == point || path.StartsWith(point + "/", StringComparison.Ordinal);
            // The longest mount point wins; of equal ones, the later (it is on top).
            if (under && (bestPoint is null || point.Length >= bestPoint.Length))
            {
                bestPoint = point;
                bestRoot = root;
            }
        }
        if (bestPoint is null || bestRoot is null) return "/";
        string rest = bestPoint == "/" ? path : path[bestPoint.Length..];
        if (rest.Length == 0) return bestRoot;
        return bestRoot == "/" ? rest : bestRoot + rest;
    }

    /// <summary>The real path of a bind source (symlinks resolved as the kernel's mount does), or the path itself.</summary>
    public static string RealPath(string path)
    {
        try
        {
            var info = new FileInfo(path);
            var target = info.Exists ? info.ResolveLinkTarget(returnFinalTarget: true) : new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true);
            return target?.FullName ?? Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return path;
        }
    }

    public static string ReadHostTable()
    {
        try
        {
            return File.ReadAllText("/proc/self/mountinfo");
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>mountinfo's \ooo escapes (space, tab, newline, backslash).</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
