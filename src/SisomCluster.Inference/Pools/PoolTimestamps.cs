using System.Globalization;
using System.Text.Json;

namespace SisomCluster.Inference.Pools;

/// <summary>Capture times as pools write them: ISO-8601 text (UTC when no offset is given) or Unix seconds.</summary>
internal static class PoolTimestamps
{
    /// <summary>
    /// ISO-8601 only: <see cref="DateTimeOffset.TryParse(string, IFormatProvider, DateTimeStyles, out DateTimeOffset)"/>
    /// alone would also take "3/4/2024", whose meaning depends on who wrote it.
    /// </summary>
    public static bool TryParseIso(string text, out DateTimeOffset value)
    {
        value = default;
        text = text.Trim();
        return text.Length >= 10 && text[4] == '-' && text[7] == '-' && char.IsAsciiDigit(text[0])
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    /// <summary>A JSON string (ISO-8601) or number (Unix seconds); false for anything else.</summary>
    public static bool TryParseJson(JsonElement element, out DateTimeOffset value)
    {
        value = default;
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return TryParseIso(element.GetString()!, out value);
            case JsonValueKind.Number when element.TryGetDouble(out double seconds) && seconds is >= -62_135_596_800 and <= 253_402_300_799:
                value = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
                return true;
            default:
                return false;
        }
    }
}
