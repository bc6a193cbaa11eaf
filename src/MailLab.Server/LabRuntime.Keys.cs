using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server;

// The start-up trace of the keys LabRuntime.Start makes: DKIM per site, OpenPGP per user.
public sealed partial class LabRuntime
{
    private static void TraceOpenPgpKeys(OpenPgp.PgpKeyStore store, IReadOnlyList<string> made, Tracer tracer)
    {
        foreach (var address in made)
        {
            var key = store.LoadPublic(address)!.GetPublicKey();
            var text = $"OpenPGP key made for {address}: 0x{MailLab.Server.OpenPgp.PgpText.KeyId(key.KeyId)} (Ed25519, Cv25519 subkey) in {store.PublicFile(address)}";
            tracer.Emit("lab", TraceRole.HOST, null, null, TraceKind.OpenPgpStep, text,
                new Dictionary<string, object?> { ["Step"] = "keygen", ["Detail"] = text, ["Address"] = address, ["KeyId"] = MailLab.Server.OpenPgp.PgpText.KeyId(key.KeyId),
                    ["Fingerprint"] = MailLab.Server.OpenPgp.PgpText.Fingerprint(key), ["UserId"] = MailLab.Server.OpenPgp.PgpKeyStore.UserId(address), ["File"] = store.PublicFile(address) });
        }
    }

    private static void TraceDkimKeys(LabSite site, Dkim.DkimKeySet keys, Tracer tracer)
    {
        foreach (var k in keys.Created)
        {
            tracer.ForLab(LabOrigin.Host, site.Name, TraceRole.MSA).Emit(TraceKind.DkimStep,
                $"DKIM key made for {k.Domain}: {MailAuth.Dkim.DkimSignature.Name(k.Key.Algorithm)} {k.Key.Bits} bits in {k.KeyFile}, published at {MailAuth.Dkim.DkimVerifier.KeyName(k.Selector, k.Domain)}",
                ("Step", "keygen"), ("Domain", k.Domain), ("Selector", k.Selector), ("Algorithm", MailAuth.Dkim.DkimSignature.Name(k.Key.Algorithm)),
                ("KeyBits", k.Key.Bits), ("KeyFile", k.KeyFile), ("Record", k.Record));
        }
    }
}
