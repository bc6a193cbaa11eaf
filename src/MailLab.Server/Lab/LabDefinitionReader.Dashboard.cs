using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

/// <summary>The <c>dashboard:</c> section of a lab file.</summary>
internal sealed partial class LabDefinitionReader
{
    private static readonly string[] DashboardKeys = ["address", "port", "instructor-password", "require-sign-in", "tls"];

    /// <summary>Longest instructor password accepted (the sign-in form's limit too).</summary>
    internal const int MaxPasswordLength = LabDashboard.MaxPasswordLength;

    private LabDashboard ReadDashboard(YamlNode node, LabWeb web)
    {
        var defaults = new LabDashboard();
        FieldMap? map = f.Map(node, "dashboard", DashboardKeys);
        if (map is null)
        {
            return defaults;
        }

        (string address, int port) = ReadEndpoint(node, map, defaults.AddressFor(web), defaults.PortFor(web));
        string? password = null;
        if (map.Optional("instructor-password") is { } pw && f.String(pw, map.Path("instructor-password")) is { } text)
        {
            if (text.Length is 0 or > MaxPasswordLength) f.Error(pw, map.Path("instructor-password"), $"must be 1 to {MaxPasswordLength} characters");
            else password = text;
        }
        bool require = map.Optional("require-sign-in") is { } r && f.Bool(r, map.Path("require-sign-in")) == true;
        var tls = DashboardTls.Auto;
        if (map.Optional("tls") is { } t && f.String(t, map.Path("tls")) is { } mode)
        {
            if (Enum.TryParse<DashboardTls>(mode, ignoreCase: true, out var parsed) && mode.All(char.IsAsciiLetterLower)) tls = parsed;
            else f.Error(t, map.Path("tls"), $"'{mode}' is not auto, on or off");
        }
        return new LabDashboard { Address = address, Port = port, InstructorPassword = password, RequireSignIn = require, Tls = tls };
    }
}
