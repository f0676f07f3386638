namespace SisomCluster.Contracts.Http;

/// <summary>A run named by its full id or by a prefix of its hex digits.</summary>
public readonly record struct RunReference(Guid? Id, string? Prefix);

/// <summary>Run ids as users type them: a full GUID, or a unique prefix of at least 8 hex digits (what the dashboard shows).</summary>
public static class RunIds
{
    public const int MinPrefixLength = 8;

    /// <exception cref="ArgumentException">Neither a GUID nor a prefix of at least <see cref="MinPrefixLength"/> hex digits.</exception>
    public static RunReference Parse(string text)
    {
        string value = (text ?? "").Trim();
        if (Guid.TryParse(value, out Guid id))
        {
            return new RunReference(id, null);
        }

        string digits = value.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        return digits.Length >= MinPrefixLength && digits.Length < 32 && digits.All(char.IsAsciiHexDigit)
            ? new RunReference(null, Canonical(digits))
            : throw new ArgumentException($"RUN: give a run id or at least {MinPrefixLength} of its first hex digits, not '{text}'.", nameof(text));
    }

    /// <summary>A prefix of the digits in the canonical 8-4-4-4-12 form, so that it matches the id's text.</summary>
    public static string Canonical(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        int[] breaks = [8, 12, 16, 20];
        var text = new System.Text.StringBuilder(digits.Length + 4);
        for (int i = 0; i < digits.Length; i++)
        {
            if (i > 0 && breaks.Contains(i))
            {
                text.Append('-');
            }

            text.Append(digits[i]);
        }

        return text.ToString();
    }

    /// <summary>Whether <paramref name="prefix"/> is what <see cref="Canonical"/> makes: hex digits and dashes only.</summary>
    public static bool IsCanonicalPrefix(string prefix) =>
        !string.IsNullOrEmpty(prefix) && prefix.Length <= 36 && prefix.All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c) || c == '-');
}
