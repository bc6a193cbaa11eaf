using System.Security.Cryptography;

namespace MailLab.Server.Delivery;

/// <summary>Short, unique, readable ids for accepted messages (shown in 250 replies and Received).</summary>
internal static class QueueId
{
    private const string Alphabet = "0123456789BCDFGHJKLMNPQRSTVWXYZ"; // no vowels: ids never spell words

    /// <summary>A new 12-character id: 7 characters of time, 5 of randomness.</summary>
    public static string New()
    {
        Span<char> id = stackalloc char[12];
        long t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 6; i >= 0; i--)
        {
            id[i] = Alphabet[(int)(t % Alphabet.Length)];
            t /= Alphabet.Length;
        }
        for (int i = 7; i < 12; i++)
        {
            id[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new string(id);
    }
}
