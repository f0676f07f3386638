using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace SisomCluster.Data.Model;

/// <summary>
/// Stores an enum as its lower-case name (<c>'pending'</c>, <c>'leased'</c>): state columns are <c>text</c> with a CHECK
/// constraint rather than a PostgreSQL enum type, so that adding a state is a plain migration and raw SQL can compare
/// against literals.
/// </summary>
internal sealed class LowercaseEnumConverter<TEnum> : ValueConverter<TEnum, string>
    where TEnum : struct, Enum
{
    public LowercaseEnumConverter()
        : base(v => ToText(v), s => Enum.Parse<TEnum>(s, true))
    {
    }

#pragma warning disable CA1308 // The database spelling is lower case by design (see the class comment).
    public static string ToText(TEnum value) => value.ToString().ToLowerInvariant();
#pragma warning restore CA1308

    /// <summary>The CHECK constraint body that admits exactly the enum's names.</summary>
    public static string CheckConstraint(string column) =>
        $"{column} IN ({string.Join(", ", Enum.GetValues<TEnum>().Select(v => $"'{ToText(v)}'"))})";
}
