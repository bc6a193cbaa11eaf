using System.Security.Cryptography;
using System.Text;

namespace MailLab.Protocols.Pop3;

/// <summary>
/// APOP (RFC 1939 §7): the greeting carries a unique timestamp in msg-id form; the client proves it
/// knows the shared secret by sending MD5(timestamp + secret) as 32 lower-case hex digits.
/// The lecture's challenge-response example: the password never crosses the wire.
/// </summary>
public static class Pop3Apop
{
    private static long counter;

    /// <summary>A fresh timestamp for a greeting, e.g. <c>&lt;4711.1.1764340800@mx.uc.test&gt;</c>.</summary>
    public static string NewTimestamp(string host) =>
        $"<{Environment.ProcessId}.{Interlocked.Increment(ref counter)}.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}@{host}>";

    /// <summary>The digest a client computes for <paramref name="timestamp"/> and <paramref name="secret"/>.</summary>
    public static string Digest(string timestamp, string secret) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(timestamp + secret)));

    /// <summary>Compares a client's digest (any hex case) with the expected one in constant time.</summary>
    public static bool Verify(string timestamp, string secret, string digest)
    {
        var expected = Encoding.ASCII.GetBytes(Digest(timestamp, secret));
        var given = Encoding.ASCII.GetBytes(digest.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
