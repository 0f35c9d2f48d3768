using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// SOL_SOCKET options of an AF_UNIX socket (sk_setsockopt/sk_getsockopt as they apply to it);
/// every other level answers EOPNOTSUPP, as unix_setsockopt does. Options that would need
/// machinery that does not exist here (BPF filters, pidfds, SO_PEERGROUPS, SO_TIMESTAMPING,
/// busy polling) answer ENOPROTOOPT rather than being accepted and ignored.
/// </summary>
public sealed partial class UnixSocket
{
    private const int SO_DEBUG = 1, SO_REUSEADDR = 2, SO_DONTROUTE = 5, SO_BROADCAST = 6, SO_SNDBUF = 7,
        SO_RCVBUF = 8, SO_KEEPALIVE = 9, SO_OOBINLINE = 10, SO_NO_CHECK = 11, SO_PRIORITY = 12, SO_LINGER = 13,
        SO_BSDCOMPAT = 14, SO_REUSEPORT = 15, SO_PASSCRED = 16, SO_PEERCRED = 17, SO_RCVLOWAT = 18, SO_SNDLOWAT = 19,
        SO_RCVTIMEO_OLD = 20, SO_SNDTIMEO_OLD = 21, SO_PEERNAME = 28, SO_TIMESTAMP_OLD = 29, SO_ACCEPTCONN = 30,
        SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33, SO_PASSSEC = 34, SO_TIMESTAMPNS_OLD = 35, SO_MARK = 36,
        SO_RXQ_OVFL = 40, SO_WIFI_STATUS = 41, SO_PEEK_OFF = 42, SO_NOFCS = 43, SO_SELECT_ERR_QUEUE = 45,
        SO_COOKIE = 57, SO_TIMESTAMP_NEW = 63, SO_TIMESTAMPNS_NEW = 64, SO_RCVTIMEO_NEW = 66, SO_SNDTIMEO_NEW = 67,
        SO_BUF_LOCK = 72;

    /// <summary>A socket timeout that is not set (MAX_SCHEDULE_TIMEOUT).</summary>
    private const long NoTimeout = long.MaxValue;

    /// <summary>The kernel's HZ on this host: timeouts are kept in jiffies, so they read back rounded as on Linux.</summary>
    private const long Hz = 250;

    private int _sndbuf = DefaultBuffer;
    private int _rcvbuf = DefaultBuffer;
    private bool _passcred;
    private int _peekOff = -1;
    private long _rcvTimeo = NoTimeout, _sndTimeo = NoTimeout;
    private int _rcvLowat = 1;
    private int _lingerOn, _lingerSeconds;
    private int _priority, _mark, _bufLock;

    /// <summary>SO_TIMESTAMP* as set: 0, or the cmsg type received datagrams are stamped with.</summary>
    private int _timestamp;

    /// <summary>Boolean options stored as they are set and read back (bit = option number).</summary>
    private ulong _flags;

    public override int SetOption(Task t, int level, int name, ReadOnlySpan<byte> value)
    {
        if (level != SOL_SOCKET) return -Errno.EOPNOTSUPP;
        if (value.Length < 4) return -Errno.EINVAL;
        int val = BinaryPrimitives.ReadInt32LittleEndian(value);
        bool on = val != 0;
        switch (name)
        {
            case SO_DEBUG:
                if (on && !Capabilities.Has(t, Capabilities.NET_ADMIN)) return -Errno.EACCES;
                SetFlag(name, on);
                return 0;
            case SO_REUSEADDR:
            case SO_DONTROUTE:
            case SO_BROADCAST:
            case SO_KEEPALIVE:
            case SO_OOBINLINE:
            case SO_NO_CHECK:
            case SO_REUSEPORT:
            case SO_PASSSEC:
            case SO_RXQ_OVFL:
            case SO_WIFI_STATUS:
            case SO_NOFCS:
            case SO_SELECT_ERR_QUEUE:
                SetFlag(name, on);
                return 0;
            case SO_BSDCOMPAT:
                return 0; // obsolete; Linux takes it and does nothing
            case SO_PRIORITY:
                if ((val < 0 || val > 6) && !Capabilities.Has(t, Capabilities.NET_ADMIN)) return -Errno.EPERM;
                _priority = val;
                return 0;
            case SO_MARK:
                if (!Capabilities.Has(t, Capabilities.NET_ADMIN)) return -Errno.EPERM;
                _mark = val;
                return 0;
            case SO_SNDBUF:
            case SO_SNDBUFFORCE:
            {
                if (name == SO_SNDBUFFORCE && !Capabilities.Has(t, Capabilities.NET_ADMIN)) return -Errno.EPERM;
                long v = name == SO_SNDBUF ? Math.Min((uint)val, BufferMax) : Math.Max(0, Math.Min(val, int.MaxValue / 2));
                Volatile.Write(ref _sndbuf, (int)Math.Max(v * 2, MinSndbuf));
                // sk_write_space: the larger budget may make the socket writable.
                if (WritableNow()) WriteSpaceWakeup();
                return 0;
            }
            case SO_RCVBUF:
            case SO_RCVBUFFORCE:
            {
                if (name == SO_RCVBUFFORCE && !Capabilities.Has(t, Capabilities.NET_ADMIN)) return -Errno.EPERM;
                long v = name == SO_RCVBUF ? Math.Min((uint)val, BufferMax) : Math.Max(0, val);
                v = Math.Min(v, int.MaxValue / 2);
                _rcvbuf = (int)Math.Max(v * 2, MinRcvbuf);
                return 0;
            }
            case SO_BUF_LOCK:
                if ((val & ~3) != 0) return -Errno.EINVAL;
                _bufLock = val;
                return 0;
            case SO_LINGER:
                if (value.Length < 8) return -Errno.EINVAL;
                _lingerOn = on ? 1 : 0;
                _lingerSeconds = BinaryPrimitives.ReadInt32LittleEndian(value[4..]);
                return 0;
            case SO_PASSCRED:
                Volatile.Write(ref _passcred, on);
                return 0;
            case SO_RCVLOWAT:
                _rcvLowat = val < 0 ? int.MaxValue : val == 0 ? 1 : val;
                return 0;
            case SO_SNDLOWAT:
                return -Errno.ENOPROTOOPT;
            case SO_RCVTIMEO_OLD:
            case SO_RCVTIMEO_NEW:
                return SetTimeout(value, ref _rcvTimeo);
            case SO_SNDTIMEO_OLD:
            case SO_SNDTIMEO_NEW:
                return SetTimeout(value, ref _sndTimeo);
            case SO_TIMESTAMP_OLD:
            case SO_TIMESTAMPNS_OLD:
            case SO_TIMESTAMP_NEW:
            case SO_TIMESTAMPNS_NEW:
                // Off turns every receive timestamp off (sock_set_timestamp).
                Volatile.Write(ref _timestamp, on ? name : 0);
                return 0;
            case SO_PEEK_OFF:
                lock (_lock) _peekOff = val;
                return 0;
            default:
                return -Errno.ENOPROTOOPT;
        }
    }

    public override int GetOption(Task t, int level, int name, Span<byte> value, out int length)
    {
        length = 0;
        if (level != SOL_SOCKET) return -Errno.EOPNOTSUPP;
        int v;
        switch (name)
        {
            case SO_TYPE:
            case SO_DOMAIN:
            case SO_PROTOCOL:
                return base.GetOption(t, level, name, value, out length);
            case SO_DEBUG:
            case SO_REUSEADDR:
            case SO_DONTROUTE:
            case SO_BROADCAST:
            case SO_KEEPALIVE:
            case SO_OOBINLINE:
            case SO_NO_CHECK:
            case SO_REUSEPORT:
            case SO_PASSSEC:
            case SO_RXQ_OVFL:
            case SO_WIFI_STATUS:
            case SO_NOFCS:
            case SO_SELECT_ERR_QUEUE:
                v = (_flags >> name & 1) != 0 ? 1 : 0;
                break;
            case SO_BSDCOMPAT:
                v = 0;
                break;
            case SO_PRIORITY:
                v = _priority;
                break;
            case SO_MARK:
                v = _mark;
                break;
            case SO_BUF_LOCK:
                v = _bufLock;
                break;
            case SO_SNDBUF:
                v = Volatile.Read(ref _sndbuf);
                break;
            case SO_RCVBUF:
                v = _rcvbuf;
                break;
            case SO_ERROR:
                v = -TakeError();
                break;
            case SO_ACCEPTCONN:
                v = _state == State.Listen ? 1 : 0;
                break;
            case SO_PASSCRED:
                v = _passcred ? 1 : 0;
                break;
            case SO_RCVLOWAT:
                v = _rcvLowat;
                break;
            case SO_SNDLOWAT:
                v = 1;
                break;
            case SO_PEEK_OFF:
                lock (_lock) v = _peekOff;
                break;
            case SO_TIMESTAMP_OLD:
            case SO_TIMESTAMPNS_OLD:
            case SO_TIMESTAMP_NEW:
            case SO_TIMESTAMPNS_NEW:
                v = _timestamp == name ? 1 : 0;
                break;
            case SO_LINGER:
            {
                Span<byte> linger = stackalloc byte[8];
                BinaryPrimitives.WriteInt32LittleEndian(linger, _lingerOn);
                BinaryPrimitives.WriteInt32LittleEndian(linger[4..], _lingerSeconds);
                return Put(value, linger, out length);
            }
            case SO_RCVTIMEO_OLD:
            case SO_RCVTIMEO_NEW:
                return GetTimeout(_rcvTimeo, value, out length);
            case SO_SNDTIMEO_OLD:
            case SO_SNDTIMEO_NEW:
                return GetTimeout(_sndTimeo, value, out length);
            case SO_PEERCRED:
            {
                Span<byte> cred = stackalloc byte[UnixCredentials.Size];
                lock (_lock) _peerCred.WriteRaw(cred);
                return Put(value, cred, out length);
            }
            case SO_PEERNAME:
            {
                Span<byte> addr = stackalloc byte[MaxAddressLength];
                int r = GetName(t, peer: true, addr, out int len);
                if (r < 0) return r;
                if (len < value.Length) return -Errno.EINVAL;
                return Put(value, addr[..len], out length);
            }
            case SO_COOKIE:
            {
                Span<byte> cookie = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(cookie, Id);
                return Put(value, cookie, out length);
            }
            default:
                return -Errno.ENOPROTOOPT;
        }
        return PutInt(value, v, out length);
    }

    private void SetFlag(int name, bool on)
    {
        if (on) _flags |= 1UL << name;
        else _flags &= ~(1UL << name);
    }

    private bool WritableNow()
    {
        lock (_lock) return WritableLocked();
    }

    /// <summary>A value cut to the caller's length, as sk_getsockopt copies min(len, size).</summary>
    private static int Put(Span<byte> into, ReadOnlySpan<byte> v, out int length)
    {
        length = Math.Min(into.Length, v.Length);
        v[..length].CopyTo(into);
        return 0;
    }

    /// <summary>sock_set_timeout: a struct timeval; 0 = none, negative seconds = do not wait, usec out of range = EDOM.</summary>
    private static int SetTimeout(ReadOnlySpan<byte> value, ref long timeoutNs)
    {
        if (value.Length < 16) return -Errno.EINVAL;
        long sec = BinaryPrimitives.ReadInt64LittleEndian(value);
        long usec = BinaryPrimitives.ReadInt64LittleEndian(value[8..]);
        if (usec < 0 || usec >= 1_000_000) return -Errno.EDOM;
        if (sec < 0)
        {
            Volatile.Write(ref timeoutNs, 0);
            return 0;
        }
        long ns = NoTimeout;
        if ((sec != 0 || usec != 0) && sec < long.MaxValue / Hz / 1_000_000_000L - 1)
        {
            long jiffies = sec * Hz + (usec + (1_000_000 / Hz) - 1) / (1_000_000 / Hz);
            ns = jiffies * (1_000_000_000L / Hz);
        }
        Volatile.Write(ref timeoutNs, ns);
        return 0;
    }

    /// <summary>sock_get_timeout: the timeout as a struct timeval (0 when none).</summary>
    private static int GetTimeout(long timeoutNs, Span<byte> value, out int length)
    {
        Span<byte> tv = stackalloc byte[16];
        if (timeoutNs != NoTimeout)
        {
            long jiffies = timeoutNs / (1_000_000_000L / Hz);
            BinaryPrimitives.WriteInt64LittleEndian(tv, jiffies / Hz);
            BinaryPrimitives.WriteInt64LittleEndian(tv[8..], jiffies % Hz * 1_000_000 / Hz);
        }
        return Put(value, tv, out length);
    }
}
