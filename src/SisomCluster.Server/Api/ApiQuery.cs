using System.Globalization;

namespace SisomCluster.Server.Api;

/// <summary>
/// Integer query values parsed here rather than by model binding, so that "abc", 10¹⁴ and 10⁹ all get a 400 that names
/// the query parameter as the client spelled it (binding would name the C# parameter).
/// </summary>
internal static class ApiQuery
{
    public static bool TryInt(string? text, string field, int min, int max, int fallback, out int value, out IResult? problem)
    {
        problem = null;
        value = fallback;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed))
        {
            problem = ApiProblems.BadRequest(field, $"must be an integer between {min} and {max}, got '{(text.Length > 40 ? text[..40] + "…" : text)}'.");
            return false;
        }

        if (parsed < min || parsed > max)
        {
            problem = ApiProblems.BadRequest(field, $"must be between {min} and {max}, got {parsed}.");
            return false;
        }

        value = (int)parsed;
        return true;
    }
}
