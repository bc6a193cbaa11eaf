using MailLab.Server.Lab;

namespace MailLab.Tests.Lab;

public class DefaultLabTests
{
    private static readonly string[][] ExpectedUsers =
    [
        ["alice@uc.test", "carol@uc.test", "dave@uc.test"],
        ["bob@bank.test", "ceo@bank.test", "postmaster@bank.test"],
        ["mallory@evil.test", "eve@evil.test"],
    ];

    private static void AssertIsTheDefaultLab(LabDefinition lab)
    {
        Assert.Equal(["uc", "bank", "evil"], lab.Sites.Select(s => s.Name));
        Assert.Equal(["127.0.1.1", "127.0.2.1", "127.0.3.1"], lab.Sites.Select(s => s.Address));
        for (int i = 0; i < lab.Sites.Count; i++)
        {
            SiteDefinition site = lab.Sites[i];
            string domain = $"{site.Name}.test";
            Assert.Equal([domain], site.Domains);
            Assert.Equal([$"mx.{domain}", $"mail.{domain}"], site.HostNames);
            Assert.Equal((2525, 5587, 5465), (site.Ports.Mta, site.Ports.Submission, site.Ports.Submissions));
            Assert.Equal(ExpectedUsers[i], site.Users.Select(u => u.Address));
            foreach (UserDefinition user in site.Users)
            {
                Assert.Equal("lab-" + user.Address[..user.Address.IndexOf('@', StringComparison.Ordinal)], user.Password);
                Assert.Same(user, lab.FindUser(user.Address));
            }
        }

        Assert.False(lab.Switches.AllowPlaintextAuth || lab.Switches.RevealSecrets || lab.Switches.AllowSenderForgery || lab.Switches.EnableVrfy || lab.Switches.RejectSpfFail);
        Assert.Equal(TimeSpan.FromMinutes(5), lab.Limits.CommandTimeout);
    }

    [Fact]
    public void DefaultLabNextToTheExecutableLoads()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, LabDefinitionLoader.DefaultFileName)));
        LabDefinition lab = LabDefinitionLoader.LoadDefault();
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, LabDefinitionLoader.DefaultFileName), lab.SourceFile);
        AssertIsTheDefaultLab(lab);
    }

    [Fact]
    public void EmbeddedCopyIsUsedWhenTheFileIsMissing()
    {
        string empty = Directory.CreateTempSubdirectory("maillab-nolab-").FullName;
        try
        {
            LabDefinition lab = LabDefinitionLoader.LoadDefault(empty);
            Assert.Contains("(embedded)", lab.SourceFile, StringComparison.Ordinal);
            AssertIsTheDefaultLab(lab);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void EmbeddedCopyIsTheShippedFile()
    {
        string shipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, LabDefinitionLoader.DefaultFileName));
        Assert.Equal(shipped, LabDefinitionLoader.ReadEmbeddedDefault());
    }
}
