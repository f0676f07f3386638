using System.CommandLine.Parsing;
using System.Globalization;

namespace SisomCluster.Cli;

/// <summary>
/// Custom parsers for option values that the built-in ones cannot express ("auto" or a number, a
/// range, a closed set). They report through <see cref="ArgumentResult.AddError"/>, so a bad value is a
/// parse error that names the option, like a missing one.
/// </summary>
public static class OptionParsers
{
    /// <summary>
    /// "auto" → <see cref="Auto"/> (NaN); otherwise a number for which <paramref name="isValid"/> holds. Read the value
    /// with <see cref="AutoOrValue"/>. (A custom parser of a <c>double?</c> option that returns null makes
    /// System.CommandLine convert the token itself, which threw InvalidCastException for an explicit "auto".)
    /// </summary>
    public static Func<ArgumentResult, double?> AutoOrNumber(string optionName, Func<double, bool> isValid, string expectation) =>
        result =>
        {
            string token = SingleToken(result);
            if (string.Equals(token, "auto", StringComparison.OrdinalIgnoreCase))
            {
                return Auto;
            }

            if (TryParseNumber(token, out double value) && isValid(value))
            {
                return value;
            }

            result.AddError($"{optionName} must be 'auto' or {expectation}, got '{token}'.");
            return Auto;
        };

    /// <summary>The value of an "auto or a number" option that says auto.</summary>
    public const double Auto = double.NaN;

    /// <summary>null for auto (given or not), else the number.</summary>
    public static double? AutoOrValue(double? value) => value is { } v && !double.IsNaN(v) ? v : null;

    public static Func<ArgumentResult, double> Number(string optionName, Func<double, bool> isValid, string expectation) =>
        result =>
        {
            string token = SingleToken(result);
            if (TryParseNumber(token, out double value) && isValid(value))
            {
                return value;
            }

            result.AddError($"{optionName} must be {expectation}, got '{token}'.");
            return 0;
        };

    public static Func<ArgumentResult, int> Integer(string optionName, Func<int, bool> isValid, string expectation) =>
        result =>
        {
            string token = SingleToken(result);
            if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && isValid(value))
            {
                return value;
            }

            result.AddError($"{optionName} must be {expectation}, got '{token}'.");
            return 0;
        };

    /// <summary>One of <paramref name="choices"/> (case-insensitive) mapped to its value.</summary>
    public static Func<ArgumentResult, T> Choice<T>(string optionName, IReadOnlyDictionary<string, T> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        return result =>
        {
            string token = SingleToken(result);
            foreach ((string name, T value) in choices)
            {
                if (string.Equals(token, name, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }

            result.AddError($"{optionName} must be one of {string.Join(", ", choices.Keys)}, got '{token}'.");
            return default!;
        };
    }

    public static bool IsPositiveFinite(double value) => value > 0 && double.IsFinite(value);

    private static string SingleToken(ArgumentResult result) => result.Tokens.Count == 0 ? string.Empty : result.Tokens[^1].Value;

    private static bool TryParseNumber(string token, out double value) =>
        double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
