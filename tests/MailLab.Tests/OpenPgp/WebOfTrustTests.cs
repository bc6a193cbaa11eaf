using MailLab.Server.OpenPgp;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Tests.OpenPgp;

/// <summary>The classic trust computation (1 full or 3 marginal, depth 5) over keys made in memory.</summary>
public sealed class WebOfTrustTests
{
    private sealed class Person(string name)
    {
        public string Address { get; } = name + "@lab.test";
        public (PgpSecretKeyRing Secret, PgpPublicKeyRing Public) Keys { get; set; } = PgpKeyStore.NewKey($"{name} <{name}@lab.test>", "pw");
        public PgpPublicKey Key => Keys.Public.GetPublicKey();
        public string Fpr => PgpText.Fingerprint(Key);

        public void Certify(Person target) => target.Keys = (target.Keys.Secret, PgpKeyStore.Certify(Keys.Secret, "pw", target.Keys.Public));
    }

    private static TrustResult View(Person viewer, Person target, IEnumerable<Person> ring, params (Person Who, OwnerTrust Level)[] trust) =>
        WebOfTrust.Evaluate(ring.Select(p => p.Key), viewer.Key, trust.ToDictionary(t => t.Who.Fpr, t => t.Level), target.Key, target.Address);

    [Fact]
    public void Bobs_key_is_valid_through_carol_whom_alice_trusts_and_a_fake_bob_key_is_unknown()
    {
        var (alice, carol, bob) = (new Person("alice"), new Person("carol"), new Person("bob"));
        alice.Certify(carol);
        carol.Certify(bob);
        var fake = new Person("bob"); // mallory's key with bob's user ID
        var ring = new[] { alice, carol, bob, fake };

        var real = View(alice, bob, ring, (carol, OwnerTrust.Full));
        Assert.Equal(PgpValidity.Full, real.Validity);
        Assert.Equal(["alice@lab.test -> carol@lab.test -> bob@lab.test"], real.Paths);
        Assert.Contains(real.Steps, s => s.Contains("certified by carol <carol@lab.test>") && s.Contains("you trust the signer fully as introducer: counts as full"));

        var forged = View(alice, fake, ring, (carol, OwnerTrust.Full));
        Assert.Equal(PgpValidity.Unknown, forged.Validity);
        Assert.Empty(forged.Paths);
        Assert.Contains(forged.Steps, s => s.Contains("carries no certification by another key you know"));
        Assert.StartsWith("result: bob <bob@lab.test>", forged.Steps[^1]);

        Assert.Equal(PgpValidity.Ultimate, View(alice, alice, ring).Validity);
    }

    [Fact]
    public void A_valid_introducer_without_ownertrust_does_not_count()
    {
        var (alice, carol, bob) = (new Person("alice"), new Person("carol"), new Person("bob"));
        alice.Certify(carol);
        carol.Certify(bob);
        var ring = new[] { alice, carol, bob };
        Assert.Equal(PgpValidity.Full, View(alice, carol, ring).Validity); // alice's own certification
        var r = View(alice, bob, ring);
        Assert.Equal(PgpValidity.Unknown, r.Validity);
        Assert.Contains(r.Steps, s => s.Contains("the signer's key is valid but you do not trust its owner as introducer: does not count"));
    }

    [Fact]
    public void Three_marginal_introducers_make_a_key_fully_valid_and_two_marginally()
    {
        var alice = new Person("alice");
        var m = Enumerable.Range(1, 3).Select(i => new Person("m" + i)).ToArray();
        var (two, three) = (new Person("two"), new Person("three"));
        foreach (var p in m)
        {
            alice.Certify(p);
            p.Certify(three);
        }
        m[0].Certify(two);
        m[1].Certify(two);
        var ring = m.Append(alice).Append(two).Append(three).ToList();
        var trust = m.Select(p => (p, OwnerTrust.Marginal)).ToArray();
        var full = View(alice, three, ring, trust);
        Assert.Equal(PgpValidity.Full, full.Validity);
        Assert.Contains(full.Steps, s => s.Contains("0 full and 3 marginal certification(s) (need 1 full or 3 marginal): full validity"));
        Assert.Equal(PgpValidity.Marginal, View(alice, two, ring, trust).Validity);
    }

    [Fact]
    public void Keys_more_than_five_steps_away_stay_unknown()
    {
        var chain = Enumerable.Range(0, 8).Select(i => new Person("k" + i)).ToArray();
        for (int i = 0; i < chain.Length - 1; i++) chain[i].Certify(chain[i + 1]);
        var trust = chain.Skip(1).Select(p => (p, OwnerTrust.Full)).ToArray();
        Assert.Equal(PgpValidity.Full, View(chain[0], chain[5], chain, trust).Validity);
        var far = View(chain[0], chain[6], chain, trust);
        Assert.Equal(PgpValidity.Unknown, far.Validity);
        Assert.Contains(far.Steps, s => s.Contains("steps from you (max depth 5): does not count"));
    }

    [Fact]
    public void Expired_and_copied_certifications_do_not_count()
    {
        var (alice, carol, bob) = (new Person("alice"), new Person("carol"), new Person("bob"));
        // alice's certification on carol expires after an hour (RFC 4880 §5.2.3.10).
        var priv = alice.Keys.Secret.GetSecretKey().ExtractPrivateKey("pw".ToCharArray());
        var gen = new PgpSignatureGenerator(alice.Key.Algorithm, HashAlgorithmTag.Sha256);
        gen.InitSign(PgpSignature.DefaultCertification, priv);
        var sub = new PgpSignatureSubpacketGenerator();
        sub.SetSignatureCreationTime(false, DateTime.UtcNow);
        sub.SetSignatureExpirationTime(false, 3600);
        gen.SetHashedSubpackets(sub.Generate());
        var uid = WebOfTrust.UserIds(carol.Key).Single();
        var expiring = PgpPublicKey.AddCertification(carol.Key, uid, gen.GenerateCertification(uid, carol.Key));
        carol.Keys = (carol.Keys.Secret, PgpPublicKeyRing.InsertPublicKey(carol.Keys.Public, expiring));
        var ring = new[] { alice, carol, bob };
        Assert.Equal(PgpValidity.Full, WebOfTrust.Evaluate(ring.Select(p => p.Key), alice.Key, new Dictionary<string, OwnerTrust>(), carol.Key, carol.Address).Validity);
        Assert.Equal(PgpValidity.Unknown, WebOfTrust.Evaluate(ring.Select(p => p.Key), alice.Key, new Dictionary<string, OwnerTrust>(), carol.Key, carol.Address,
            DateTime.UtcNow.AddHours(2)).Validity);

        // mallory copies alice's certification of the real bob onto a key of her own with bob's user ID.
        alice.Certify(bob);
        var fake = new Person("bob");
        var copied = bob.Key.GetSignaturesForId(WebOfTrust.UserIds(bob.Key).Single()).Single(s => s.KeyId == alice.Key.KeyId);
        var forged = PgpPublicKey.AddCertification(fake.Key, WebOfTrust.UserIds(fake.Key).Single(), copied);
        var result = WebOfTrust.Evaluate([alice.Key, bob.Key], alice.Key, new Dictionary<string, OwnerTrust>(), forged, "bob@lab.test");
        Assert.Equal(PgpValidity.Unknown, result.Validity);
    }

    [Fact]
    public async Task Trust_computed_on_many_threads_over_one_keyring_agrees()
    {
        // Deliveries compute trust at once over the same keyring objects (PgpKeyring is shared).
        var (alice, carol, bob) = (new Person("alice"), new Person("carol"), new Person("bob"));
        alice.Certify(carol);
        carol.Certify(bob);
        var keys = new[] { alice.Key, carol.Key, bob.Key };
        var trust = new Dictionary<string, OwnerTrust> { [carol.Fpr] = OwnerTrust.Full };
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 500).Select(_ => WebOfTrust.Evaluate(keys, alice.Key, trust, bob.Key, bob.Address).Validity).ToList())));
        Assert.All(results.SelectMany(r => r), v => Assert.Equal(PgpValidity.Full, v));
    }
}
