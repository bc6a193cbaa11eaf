namespace MailLab.Server.Certificates;

/// <summary>The lab PKI in the data directory is unusable (for example ca.crt without ca.key, or an expired CA).</summary>
public sealed class LabCertificateException(string message, Exception? inner = null) : Exception(message, inner);
