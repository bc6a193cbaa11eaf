using System.Buffers;
using System.Text;

namespace MailLab.MailAuth.Dkim;

/// <summary>
/// The header data a signature covers (RFC 6376 §3.7, §5.4.2), canonicalized straight into a caller's
/// octet buffer: the verifier hashes and checks it from a pooled buffer, with no string per field.
/// </summary>
internal static class DkimHeaderData
{
    /// <summary>Octets enough for <see cref="Write"/>: a canonical field is never longer than its raw text plus ':' and CRLF.</summary>
    public static int Bound(DkimMessage message, DkimHeaderField field)
    {
        long n = field.Raw.Length + 1;
        foreach (var h in message.Headers) n += h.Raw.Length + 3;
        return (int)Math.Min(n, Array.MaxLength);
    }

    /// <summary>
    /// Writes the data into <paramref name="output"/> (<see cref="Bound"/> octets) and returns its length, or -1
    /// when a field holds a char that is not one octet (a caller's string; <see cref="Text"/> handles it).
    /// </summary>
    public static int Write(DkimMessage message, DkimHeaderField field, DkimSignature sig, Span<byte> output)
    {
        var headers = message.Headers;
        var signed = sig.SignedHeaders;
        bool relaxed = sig.HeaderCanonicalization == DkimCanonicalization.Relaxed;
        // Few names: count earlier uses by a scan; many (a forged h=): a map, so the work stays linear.
        var used = signed.Count > 16 ? new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) : null;
        int o = 0;
        for (int k = 0; k < signed.Count; k++)
        {
            string name = signed[k];
            int skip = Uses(signed, k, used);
            int seen = 0;
            for (int i = headers.Count - 1; i >= 0; i--)
            {
                if (!headers[i].Name.Equals(name, StringComparison.OrdinalIgnoreCase)) continue;
                if (seen++ != skip) continue;
                string raw = headers[i].Raw;
                if (!DkimCanonicalizer.IsOctets(raw)) return -1;
                if (relaxed)
                {
                    o += DkimCanonicalizer.RelaxedHeader(raw, output[o..]);
                    output[o++] = (byte)'\r';
                    output[o++] = (byte)'\n';
                }
                else
                {
                    o += Copy(raw, output[o..]);
                }
                break;
            }
        }
        if (!DkimCanonicalizer.IsOctets(field.Raw)) return -1;
        // The DKIM-Signature itself: b= emptied (RFC 6376 §3.5 b=), no final CRLF, then canonicalized.
        string self = field.Raw;
        int cut = DkimVerifier.SignatureValueRange(self, out int resume);
        char[] joined = ArrayPool<char>.Shared.Rent(self.Length);
        try
        {
            int n = 0;
            if (cut < 0)
            {
                self.CopyTo(joined);
                n = self.Length;
            }
            else
            {
                self.AsSpan(0, cut).CopyTo(joined);
                self.AsSpan(resume).CopyTo(joined.AsSpan(cut));
                n = cut + self.Length - resume;
            }
            var text = joined.AsSpan(0, n);
            if (text.EndsWith("\r\n")) text = text[..^2];
            o += relaxed ? DkimCanonicalizer.RelaxedHeader(text, output[o..]) : Copy(text, output[o..]);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(joined);
        }
        return o;
    }

    /// <summary>The same data through strings, for fields that are not all octets (Latin-1 maps what it cannot hold to '?').</summary>
    public static byte[] Text(DkimMessage message, DkimHeaderField field, DkimSignature sig)
    {
        var sb = new StringBuilder();
        var used = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in sig.SignedHeaders)
        {
            used.TryGetValue(name, out int skip);
            used[name] = skip + 1;
            int seen = 0;
            for (int i = message.Headers.Count - 1; i >= 0; i--)
            {
                if (!message.Headers[i].Name.Equals(name, StringComparison.OrdinalIgnoreCase)) continue;
                if (seen++ == skip)
                {
                    sb.Append(DkimCanonicalizer.Header(message.Headers[i].Raw, sig.HeaderCanonicalization));
                    break;
                }
            }
        }
        string self = DkimVerifier.WithoutSignatureValue(field.Raw);
        if (self.EndsWith("\r\n", StringComparison.Ordinal)) self = self[..^2];
        sb.Append(sig.HeaderCanonicalization == DkimCanonicalization.Simple ? self : DkimCanonicalizer.RelaxedHeader(self));
        return DkimCanonicalizer.Octets.GetBytes(sb.ToString());
    }

    // How many times signed[k]'s name came before it in h=: that many instances are already taken (RFC 6376 §5.4.2).
    private static int Uses(IReadOnlyList<string> signed, int k, Dictionary<string, int>? used)
    {
        if (used is not null)
        {
            used.TryGetValue(signed[k], out int before);
            used[signed[k]] = before + 1;
            return before;
        }
        int n = 0;
        for (int j = 0; j < k; j++)
        {
            if (signed[j].Equals(signed[k], StringComparison.OrdinalIgnoreCase)) n++;
        }
        return n;
    }

    private static int Copy(ReadOnlySpan<char> octets, Span<byte> output) => DkimCanonicalizer.Octets.GetBytes(octets, output);
}
