using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

/// <summary>
/// Reads lab definition files (YAML, kebab-case keys; see lab/default-lab.yml for the format).
/// Every method throws <see cref="LabDefinitionException"/>, and only that, for a file that cannot be
/// read or is not valid; the exception lists every problem with file, line, column and field.
/// </summary>
public static partial class LabDefinitionLoader
{
    /// <summary>The default lab's file name, next to the executable.</summary>
    public const string DefaultFileName = "default-lab.yml";

    /// <summary>Logical name of the copy embedded in MailLab.Server, used when the file is not next to the executable.</summary>
    public const string EmbeddedResourceName = "MailLab.default-lab.yml";

    public static LabDefinition Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new LabDefinitionException(new LabDefinitionError(path, 0, 0, "", $"cannot read the file: {e.Message}"), e);
        }

        return Parse(text, path);
    }

    /// <summary>The default lab: <c>default-lab.yml</c> in <see cref="AppContext.BaseDirectory"/>, else the embedded copy.</summary>
    public static LabDefinition LoadDefault() => LoadDefault(AppContext.BaseDirectory);

    internal static LabDefinition LoadDefault(string directory)
    {
        string path = Path.Combine(directory, DefaultFileName);
        return File.Exists(path) ? Load(path) : Parse(ReadEmbeddedDefault(), $"{DefaultFileName} (embedded)");
    }

    internal static string ReadEmbeddedDefault()
    {
        using Stream stream = typeof(LabDefinitionLoader).Assembly.GetManifestResourceStream(EmbeddedResourceName)
            ?? throw new InvalidOperationException($"Resource {EmbeddedResourceName} is missing from MailLab.Server (build error).");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <param name="yaml">The file's text.</param>
    /// <param name="sourceName">The name used in error messages and <see cref="LabDefinition.SourceFile"/>.</param>
    public static LabDefinition Parse(string yaml, string sourceName)
    {
        YamlNode root = LoadSingleDocument(yaml, sourceName, "a lab file");
        var fields = new YamlFields(sourceName);
        LabDefinition? lab = new LabDefinitionReader(fields).Read(root, sourceName);
        if (lab is null && fields.Errors.Count == 0)
        {
            fields.Error(root, "", "the lab definition is incomplete");
        }

        if (fields.Errors.Count > 0 || lab is null)
        {
            // File order, so the first error is the first one an instructor meets reading down.
            List<LabDefinitionError> errors = fields.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
            throw new LabDefinitionException(errors);
        }

        return lab;
    }

    /// <summary>
    /// Parses YAML text that must hold exactly one document and returns its root node; a YAML syntax
    /// error, an empty text or a second document throws <see cref="LabDefinitionException"/> with the
    /// place. Shared by lab files and exercise objective files.
    /// </summary>
    internal static YamlNode LoadSingleDocument(string yaml, string sourceName, string what)
    {
        var stream = new YamlStream();
        var parser = new MarkTrackingParser(new Parser(new StringReader(yaml)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            // YamlDotNet puts the marks into its message too; we report them in our own format.
            string problem = MarkPrefix().Replace(e.Message, "");
            throw new LabDefinitionException(
                new LabDefinitionError(sourceName, (int)e.Start.Line, (int)e.Start.Column, "", $"YAML error: {problem}"), e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // Parser failures that YamlDotNet does not wrap in a YamlException; see MarkTrackingParser.
            Mark at = parser.LastGood;
            throw new LabDefinitionException(
                new LabDefinitionError(sourceName, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column), "",
                    "YAML error: cannot read the file after this point (an unclosed '[', '{' or quote?)"), e);
        }

        if (stream.Documents.Count == 0)
        {
            throw new LabDefinitionException(new LabDefinitionError(sourceName, 1, 1, "", "the file has no content"));
        }

        if (stream.Documents.Count > 1)
        {
            Mark start = stream.Documents[1].RootNode.Start;
            throw new LabDefinitionException(
                new LabDefinitionError(sourceName, (int)start.Line, (int)start.Column, "", $"only one YAML document is allowed in {what}"));
        }

        return stream.Documents[0].RootNode;
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();
}
