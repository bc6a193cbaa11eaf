namespace MailLab.Server.Dashboard.Journey;

/// <summary>
/// The RFC section a journey step applies, e.g. RFC 7208 §5.1: shown as <see cref="Label"/> and linked
/// to the RFC Editor's HTML, whose anchors are <c>#section-5.1</c> (and <c>#appendix-A</c> for appendices).
/// </summary>
public sealed record RfcRef(int Rfc, string Section)
{
    /// <summary>"RFC 7208 §5.1".</summary>
    public string Label => Section.Length == 0 ? $"RFC {Rfc}" : $"RFC {Rfc} §{Section}";

    /// <summary>https://www.rfc-editor.org/rfc/rfc7208#section-5.1</summary>
    public string Url
    {
        get
        {
            var page = $"https://www.rfc-editor.org/rfc/rfc{Rfc}";
            if (Section.Length == 0) return page;
            return Section.StartsWith("App. ", StringComparison.Ordinal) ? $"{page}#appendix-{Section[5..]}" : $"{page}#section-{Section}";
        }
    }

    /// <summary>Shorthand for the tables of <see cref="JourneyRfcs"/>.</summary>
    public static RfcRef Of(int rfc, string section = "") => new(rfc, section);
}
