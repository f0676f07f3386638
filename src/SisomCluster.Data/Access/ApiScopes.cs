namespace SisomCluster.Data.Access;

/// <summary>
/// The scopes of an API key: <see cref="Read"/> (GET), <see cref="Write"/> (start and cancel runs, import labels, build a
/// similarity index) and <see cref="Admin"/> (API keys). Each includes the ones before it, so an admin key can do
/// everything and a write key can also read.
/// </summary>
public static class ApiScopes
{
    public const string Read = "read";

    public const string Write = "write";

    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Read, Write, Admin];

    /// <summary>
    /// Whether a key holding <paramref name="held"/> may do what needs <paramref name="needed"/>. A scope the code does not
    /// know (a hand-edited row, a name from a newer version) grants nothing, and nothing grants an unknown need.
    /// </summary>
    public static bool Grants(IEnumerable<string> held, string needed)
    {
        ArgumentNullException.ThrowIfNull(held);
        int rank = Rank(needed);
        return rank > 0 && held.Any(h => Rank(h) >= rank);
    }

    /// <summary>Parses <c>read,write</c>; an unknown or missing scope is an <see cref="ArgumentException"/> naming it.</summary>
    public static string[] Parse(string? text)
    {
        string[] parts = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            throw new ArgumentException($"scopes: give at least one of {string.Join(", ", All)}.", nameof(text));
        }

        foreach (string part in parts)
        {
            if (!All.Contains(part.ToLowerInvariant()))
            {
                throw new ArgumentException($"scopes: unknown scope '{part}'; use {string.Join(", ", All)}.", nameof(text));
            }
        }

        return [.. parts.Select(p => p.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal)];
    }

    private static int Rank(string scope) => scope switch
    {
        Read => 1,
        Write => 2,
        Admin => 3,
        _ => 0,
    };
}
