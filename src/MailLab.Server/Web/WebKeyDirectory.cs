using System.Security.Cryptography;
using System.Text;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.Web;

/// <summary>
/// Web Key Directory (draft-koch-openpgp-webkey-service §3.1): the lab users' own keys
/// (<c>&lt;data&gt;/pgp/public</c>, never the key server's uploads) at
/// <c>/.well-known/openpgpkey/hu/&lt;z-base-32 of SHA-1 of the lower-cased local part&gt;?l=&lt;local&gt;</c> (direct
/// method; the domain is the Host header's, else the one lab user with that local part) and at
/// <c>/.well-known/openpgpkey/&lt;domain&gt;/hu/&lt;hash&gt;</c> (advanced method). The key is served binary, as
/// the draft requires. gpg fetches WKD only over HTTPS on port 443, so in the lab it is a curl demo.
/// </summary>
internal static class WebKeyDirectory
{
    private const string ZBase32Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769";

    public static void Map(IEndpointRouteBuilder app, WebRouteContext context)
    {
        string[] read = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/.well-known/openpgpkey/hu/{hash}", read, (HttpContext http, string hash) => Key(http, context, hash, null));
        app.MapMethods("/.well-known/openpgpkey/{domain}/hu/{hash}", read, (HttpContext http, string domain, string hash) => Key(http, context, hash, domain));
        // §3.1: the policy file says the domain runs a WKD; empty means "no special policy".
        app.MapMethods("/.well-known/openpgpkey/policy", read, () => Results.Text("", "text/plain"));
        app.MapMethods("/.well-known/openpgpkey/{domain}/policy", read, (string domain) => Results.Text("", "text/plain"));
    }

    /// <summary>The WKD hash of a local part: SHA-1 of its lower-case UTF-8, z-base-32 encoded (32 characters).</summary>
    public static string Hash(string localPart) => ZBase32(SHA1.HashData(Encoding.UTF8.GetBytes(localPart.ToLowerInvariant())));

    /// <summary>z-base-32 (RFC 6189 §5.1.6), 5 bits per character, most significant first.</summary>
    public static string ZBase32(byte[] data)
    {
        var text = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(ZBase32Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) text.Append(ZBase32Alphabet[(buffer << (5 - bits)) & 31]);
        return text.ToString();
    }

    private static IResult Key(HttpContext http, WebRouteContext context, string hash, string? domain)
    {
        domain ??= http.Request.Host.Host;
        var candidates = UserKeyFiles(context.UserKeysDirectory).Where(f => Hash(f.Local) == hash.ToLowerInvariant()).ToList();
        var inDomain = candidates.Where(f => f.Domain.Equals(domain, StringComparison.OrdinalIgnoreCase)).ToList();
        // The Host of a lab URL is an address, not a mail domain: then the one user with that local part.
        var chosen = inDomain.Count == 1 ? inDomain[0] : candidates.Count == 1 ? candidates[0] : default;
        string client = http.Connection.RemoteIpAddress?.ToString() ?? "";
        context.TraceFor(http).Emit(TraceKind.KeyServerLookup, $"WKD lookup {hash} (domain {domain}) from {client}: {(chosen.File is null ? "no key" : chosen.Address)}",
            ("Op", "wkd"), ("Search", hash), ("Match", "wkd"), ("Found", chosen.File is null ? 0 : 1), ("Client", client));
        if (chosen.File is null)
        {
            return WebRoutes.Text(404, candidates.Count > 1
                ? $"several lab users have this local part: ask /.well-known/openpgpkey/DOMAIN/hu/{hash}\n"
                : "no lab user's key has this hash\n");
        }
        var parsed = PgpKeyText.Parse(File.ReadAllBytes(chosen.File));
        if (parsed.Problem is not null) return WebRoutes.Text(404, $"the key file of {chosen.Address} is not a public key\n");
        var binary = new MemoryStream();
        foreach (PgpPublicKeyRing ring in parsed.Keys) ring.Encode(binary);
        return Results.Bytes(binary.ToArray(), "application/octet-stream");
    }

    /// <summary>The lab users' key files: <c>&lt;address&gt;.asc</c>, split into local part and domain.</summary>
    private static IEnumerable<(string File, string Address, string Local, string Domain)> UserKeyFiles(string directory)
    {
        if (!Directory.Exists(directory)) yield break;
        foreach (string file in Directory.GetFiles(directory, "*.asc"))
        {
            string address = Path.GetFileNameWithoutExtension(file);
            int at = address.LastIndexOf('@');
            if (at > 0) yield return (file, address, address[..at], address[(at + 1)..]);
        }
    }
}
