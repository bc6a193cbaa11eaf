using System.Text;
using MailLab.Server.Lab;
using MailLab.Server.OpenPgp;
using MailLab.Tests.Support;
using Org.BouncyCastle.Bcpg;

namespace MailLab.Tests.OpenPgp;

/// <summary>Bad OpenPGP input straight into the verifier: every case is a verdict, none an exception.</summary>
public sealed class PgpBadInputTests
{
    private static readonly Lazy<(PgpKeyStore Store, byte[] Signed)> Fixture = new(() =>
    {
        var store = new PgpKeyStore(TempDir.New("pgp-bad"));
        store.EnsureUserKeys(LabDefinitionLoader.Parse(PgpLab.Yaml(), "lab.yml"));
        return (store, PgpMessages.SignMime(PgpLab.Plain("bob@bank.test", "alice@uc.test"), store.LoadSecret("bob@bank.test")!, "lab-bob"));
    });

    private static Task<PgpVerification> Verify(byte[] message, PgpMessageKind kind = PgpMessageKind.MimeSigned) =>
        PgpVerifier.VerifyAsync(message, kind, [new PgpRecipient("alice@uc.test", null)], new PgpKeyLookup(Fixture.Value.Store, () => null, null), default);

    // The signature packet re-armored with one octet changed (a valid CRC, so the armor still reads).
    private static byte[] WithSignatureOctet(int index, byte value)
    {
        var text = Encoding.ASCII.GetString(Fixture.Value.Signed);
        int start = text.IndexOf("-----BEGIN PGP SIGNATURE-----", StringComparison.Ordinal);
        int end = text.IndexOf("-----END PGP SIGNATURE-----", StringComparison.Ordinal) + 27;
        var packet = PgpVerifier.ReadSignature(Encoding.ASCII.GetBytes(text[start..end]))!.GetEncoded();
        packet[index] = value;
        using var buffer = new MemoryStream();
        using (var armor = new ArmoredOutputStream(buffer)) armor.Write(packet);
        return Encoding.ASCII.GetBytes(text[..start] + Encoding.ASCII.GetString(buffer.ToArray()).Replace("\r\n", "\n").Replace("\n", "\r\n").TrimEnd() + text[end..]);
    }

    [Fact]
    public async Task The_untouched_message_is_valid()
    {
        Assert.Equal("valid", (await Verify(Fixture.Value.Signed)).Result);
    }

    [Theory]
    [InlineData(4, 99)]  // public-key algorithm 99 (RFC 4880 §9.1: private/experimental range is 100-110; 99 is unassigned)
    [InlineData(5, 99)]  // hash algorithm 99
    [InlineData(2, 9)]   // signature version 9
    public async Task An_unknown_algorithm_or_version_is_a_verdict(int index, byte value)
    {
        var r = await Verify(WithSignatureOctet(index, value));
        Assert.Contains(r.Result, new[] { "unsupported", "malformed", "invalid" });
        Assert.NotEqual("valid", r.Result);
        Assert.StartsWith("result", r.Steps[^1]);
    }

    [Fact]
    public async Task Random_octets_in_every_kind_are_verdicts()
    {
        var random = new Random(15);
        foreach (var kind in new[] { PgpMessageKind.MimeSigned, PgpMessageKind.MimeEncrypted, PgpMessageKind.InlineSigned, PgpMessageKind.InlineMessage })
        {
            for (int i = 0; i < 50; i++)
            {
                var junk = new byte[random.Next(0, 3000)];
                random.NextBytes(junk);
                var message = Encoding.ASCII.GetBytes("From: x@evil.test\r\nContent-Type: text/plain\r\n\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\n").Concat(junk).ToArray();
                var r = await Verify(message, kind);
                Assert.NotEqual("valid", r.Result);
            }
        }
    }

    [Fact]
    public async Task An_encrypted_part_that_is_a_signature_or_truncated_is_a_verdict()
    {
        var encrypted = Encoding.ASCII.GetString(PgpMessages.EncryptMime(PgpLab.Plain("bob@bank.test", "alice@uc.test"), [Fixture.Value.Store.LoadPublic("alice@uc.test")!]));
        var cut = encrypted[..(encrypted.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal) + 60)] + "\r\n--x--\r\n";
        var r = await Verify(Encoding.ASCII.GetBytes(cut), PgpMessageKind.MimeEncrypted);
        Assert.Contains(r.Result, new[] { "malformed", "encrypted", "recognised" });
    }
}
