namespace MailLab.Server.Lab;

/// <summary>
/// One problem in a lab file. <see cref="Line"/> and <see cref="Column"/> are 1-based; both are 0 when the
/// problem is not at a place in the file (the file cannot be read). <see cref="Field"/> is the path of the
/// field in YAML key names, like <c>sites[1].address</c>, or empty for the document itself.
/// </summary>
internal sealed record LabDefinitionError(string File, int Line, int Column, string Field, string Problem)
{
    /// <summary>"lab.yml:12:5: sites[1].address: '127.0.2.x' is not an IP address".</summary>
    public override string ToString()
    {
        string where = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Field.Length > 0 ? $"{where}: {Field}: {Problem}" : $"{where}: {Problem}";
    }
}

/// <summary>
/// A lab file could not be read or is not valid. The properties describe the first problem in file order;
/// <see cref="Errors"/> holds all of them, and the message lists them one per line.
/// </summary>
public sealed class LabDefinitionException : Exception
{
    internal LabDefinitionException(IReadOnlyList<LabDefinitionError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        if (errors.Count == 0)
        {
            throw new ArgumentException("At least one error is needed.", nameof(errors));
        }

        Errors = errors;
    }

    internal LabDefinitionException(LabDefinitionError error, Exception? inner = null)
        : base(error.ToString(), inner)
    {
        Errors = [error];
    }

    internal IReadOnlyList<LabDefinitionError> Errors { get; }

    public string File => Errors[0].File;

    public int Line => Errors[0].Line;

    public int Column => Errors[0].Column;

    public string Field => Errors[0].Field;
}
