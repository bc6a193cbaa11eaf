using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit.Net.Smtp;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.OpenPgp;
using MimeKit;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 14: bob's key fetched from the lab key server; a PGP/MIME message signed with bob's lab key,
/// sent through bank's MSA, fully valid for alice through carol; mallory's key with bob's user ID uploaded to
/// the key server (accepted unchecked) and a message signed with it sent from evil's site: a valid signature
/// by a key of unknown validity; carol certifies the CEO's key, and a message signed by the CEO becomes
/// fully valid; bob's key read as OPENPGPKEY from the lab DNS.
/// </summary>
internal sealed class OpenPgpDemo : IExerciseDemo
{
    public int Number => 14;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        var bob = ctx.User("bank");
        var alice = ctx.User("uc").Address;
        var mallory = ctx.User("evil");
        var ceo = ctx.Site("bank").Users.FirstOrDefault(u => u.Address.StartsWith("ceo@", StringComparison.OrdinalIgnoreCase))
            ?? throw new DemoException("the lab has no ceo@ user at bank");
        var carol = ctx.Site("uc").Users.FirstOrDefault(u => u.Address.StartsWith("carol@", StringComparison.OrdinalIgnoreCase))
            ?? throw new DemoException("the lab has no carol@ user at uc: the default web of trust needs her");
        var keys = new PgpKeyStore(ctx.DataDirectory);
        var web = ctx.EndPoint("*", "WEB");
        using var http = Http(ctx);

        ctx.Step($"Fetch {bob.Address}'s key from the lab key server (what gpg --recv-keys asks)");
        var get = await http.GetAsync($"http://{web}/pks/lookup?op=get&options=mr&search={Uri.EscapeDataString(bob.Address)}", ct);
        ctx.Out.WriteLine($"C: GET /pks/lookup?op=get&options=mr&search={bob.Address}");
        ctx.Out.WriteLine($"S: {(int)get.StatusCode} {get.ReasonPhrase}, {(await get.Content.ReadAsStringAsync(ct)).Length} octets of armored keys");
        if (!get.IsSuccessStatusCode) throw new DemoException($"the key server did not find {bob.Address}");

        ctx.Step($"Sign a message as {bob.Address} (PGP/MIME, RFC 3156) and send it to {alice} through bank's MSA");
        await SendSignedAsync(ctx, "bank", bob, alice, keys.LoadSecret(bob.Address), bob.Password, bob.Address, "my account", ct);
        ctx.Out.WriteLine($"   | {await VerdictAsync(ctx, alice, "my account", ct)}");

        ctx.Step($"mallory makes a key named \"{PgpKeyStore.UserId(bob.Address)}\" and uploads it: the key server checks nothing");
        var fake = PgpKeyStore.NewKey(PgpKeyStore.UserId(bob.Address), "mallory");
        var add = await http.PostAsync($"http://{web}/pks/add",
            new FormUrlEncodedContent([new KeyValuePair<string, string>("keytext", PgpKeyStore.Armor(fake.Public))]), ct);
        ctx.Out.WriteLine($"C: POST /pks/add keytext=<key 0x{PgpText.KeyId(fake.Public.GetPublicKey().KeyId)}>");
        ctx.Out.WriteLine($"S: {(int)add.StatusCode} {add.ReasonPhrase}");
        if (!add.IsSuccessStatusCode) throw new DemoException("the key server refused mallory's key");

        ctx.Step($"mallory signs with the fake bob key and sends from evil's site to {alice}");
        await SendSignedAsync(ctx, "evil", mallory, alice, fake.Secret, "mallory", $"bob <{mallory.Address}>", "my new account", ct);
        ctx.Out.WriteLine($"   | {await VerdictAsync(ctx, alice, "my new account", ct)}");
        ctx.Out.WriteLine("   A valid signature, by a key nobody alice trusts vouches for: the web of trust catches what the key server could not.");

        ctx.Step($"carol (alice's full introducer) certifies {ceo.Address}'s key; then the CEO signs a message to {alice}");
        keys.Certify(carol.Address, carol.Password, ceo.Address);
        await SendSignedAsync(ctx, "bank", ceo, alice, keys.LoadSecret(ceo.Address), ceo.Password, ceo.Address, "quarterly figures", ct);
        ctx.Out.WriteLine($"   | {await VerdictAsync(ctx, alice, "quarterly figures", ct)}");

        string owner = OpenPgpKeyRecords.OwnerName(bob.Address);
        ctx.Step($"The third channel: {bob.Address}'s key as OPENPGPKEY in DNS (RFC 7929), dig {owner} OPENPGPKEY");
        await DnsDemo.AskAsync(ctx, owner, DnsType.OPENPGPKEY, ct, tcp: true);
    }

    /// <summary>An HTTP client whose connections come from the student's address.</summary>
    private static HttpClient Http(DemoContext ctx) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (c, token) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (ctx.Student is not null) socket.Bind(new IPEndPoint(ctx.Student, 0));
                await socket.ConnectAsync(c.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { Timeout = TimeSpan.FromSeconds(30) };

    private static async Task SendSignedAsync(DemoContext ctx, string site, Lab.UserDefinition user, string to,
        Org.BouncyCastle.Bcpg.OpenPgp.PgpSecretKeyRing? secret, string password, string from, string subject, CancellationToken ct)
    {
        if (secret is null) throw new DemoException($"no OpenPGP secret key for {user.Address} in {ctx.DataDirectory}/pgp/secret");
        var plain = Submission.Message(user.Address, to, subject, $"Hello, this is {from}. Please use {subject}.\r\n");
        plain.From.Clear();
        plain.From.Add(MailboxAddress.Parse(from));
        using var buffer = new MemoryStream();
        await plain.WriteToAsync(FormatOptions.Default, buffer, ct);
        var signed = MimeMessage.Load(new MemoryStream(PgpMessages.SignMime(buffer.ToArray(), secret, password)));
        using var client = await Submission.ConnectAsync(ctx, site, implicitTls: false, ct);
        await client.AuthenticateAsync(user.Address, user.Password, ct);
        await client.SendAsync(signed, ct);
        await client.DisconnectAsync(true, ct);
    }

    /// <summary>The X-MailLab-OpenPGP verdict on the delivered message with this subject.</summary>
    private static async Task<string> VerdictAsync(DemoContext ctx, string to, string subject, CancellationToken ct)
    {
        string delivered = await ctx.WaitForMessageAsync(to, "Subject: " + subject + "\r\n", TimeSpan.FromSeconds(30), ct);
        using var reader = new StringReader(delivered);
        var text = new StringBuilder();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            if (line.StartsWith("X-MailLab-OpenPGP:", StringComparison.OrdinalIgnoreCase)) text.Append(line);
            else if (text.Length > 0 && line[0] is ' ' or '\t') text.Append(' ').Append(line.Trim());
            else if (text.Length > 0) break;
        }
        return text.Length > 0 ? text.ToString() : throw new DemoException($"the message '{subject}' to {to} has no X-MailLab-OpenPGP header");
    }
}
