namespace Csrunsc.Sentry.Loader;

/// <summary>
/// The credentials the new program's auxiliary vector reports: AT_UID/AT_EUID/AT_GID/AT_EGID as
/// they are after execve, and AT_SECURE (bprm->secureexec: the effective ids differ from the real ones).
/// </summary>
public readonly record struct AuxIds(uint Uid, uint Euid, uint Gid, uint Egid, bool Secure);
