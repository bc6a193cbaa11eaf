using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailLab.Tests.Certificates;

/// <summary>Chain building that trusts one root only, as a student's client configured with ca.crt does.</summary>
internal static class TestChains
{
    internal static bool ChainsTo(X509Certificate2 root, X509Certificate2 leaf)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // serverAuth
        return chain.Build(leaf);
    }
}
