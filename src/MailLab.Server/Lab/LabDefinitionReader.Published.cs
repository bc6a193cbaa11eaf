using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

// A site's published: block (where its listeners are reachable from outside its network, as the classroom's
// docker-compose.yml publishes them); only the autoconfig file reads it, so nothing binds these ports.
internal sealed partial class LabDefinitionReader
{
    private static readonly string[] PublishedKeys = ["address", "ports"];

    // Published address:port pairs across sites: two listeners cannot be published on one (docker refuses it too).
    private readonly Dictionary<string, string> _published = new(StringComparer.OrdinalIgnoreCase);

    private SitePublished? ReadPublished(YamlNode node, string path, SitePorts? served)
    {
        FieldMap? map = f.Map(node, path, PublishedKeys);
        if (map is null)
        {
            return null;
        }

        string? address = null;
        if (map.Required("address") is { } addressNode && f.String(addressNode, map.Path("address")) is { } text)
        {
            string name = LabNames.NormalizeDomain(text);
            if (LabNames.TryParseIp(text, out var ip))
            {
                address = ip.ToString();
            }
            else if (LabNames.IsDnsName(name))
            {
                address = name;
            }
            else
            {
                f.Error(addressNode, map.Path("address"), $"'{text}' is neither an IP address nor a host name");
            }
        }

        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        bool ok = true;
        if (map.Required("ports") is { } portsNode && f.Map(portsNode, map.Path("ports"), PortKeys) is { } portMap)
        {
            foreach (string key in PortKeys)
            {
                if (portMap.Optional(key) is not { } v || f.Integer(v, portMap.Path(key)) is not { } port)
                {
                    continue;
                }

                if (port is < 1 or > 65535)
                {
                    f.Error(v, portMap.Path(key), $"port {port} is out of range (a published port is a real one on the outside: 1..65535)");
                    ok = false;
                }
                else if (served is not null && Serves(served, key) is false)
                {
                    f.Error(v, portMap.Path(key), $"the site has no {key} listener to publish (add {key} to its ports: first)");
                    ok = false;
                }
                else if (address is not null && !Publish($"{address}|{port}", portMap.Path(key), v, address, (int)port))
                {
                    ok = false;
                }
                else
                {
                    ports[key] = (int)port;
                }
            }

            if (ports.Count == 0 && ok)
            {
                f.Error(portsNode, map.Path("ports"), $"publish at least one listener ({string.Join(", ", PortKeys)})");
                ok = false;
            }
        }
        else
        {
            ok = false;
        }

        return address is null || !ok ? null : new SitePublished { Address = address, Ports = ports };
    }

    /// <summary>Whether the site runs the listener of a <c>ports:</c> key (the mailbox-access ones are optional).</summary>
    private static bool Serves(SitePorts ports, string key) => key switch
    {
        "pop3" => ports.Pop3 is not null,
        "pop3s" => ports.Pop3s is not null,
        "imap" => ports.Imap is not null,
        "imaps" => ports.Imaps is not null,
        _ => true,
    };

    private bool Publish(string pair, string field, YamlNode node, string address, int port)
    {
        if (_published.TryGetValue(pair, out string? first))
        {
            f.Error(node, field, $"{(address.Contains(':') ? $"[{address}]" : address)}:{port} is already published at {first}");
            return false;
        }

        _published[pair] = field;
        return true;
    }
}
