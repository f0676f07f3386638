using System.CommandLine;

namespace SisomCluster.Cli;

/// <summary><c>--format auto|table|tsv</c> of the commands that print rows: auto is a table on a terminal, tab-separated lines otherwise.</summary>
internal static class TableFormatOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--format")
        {
            Description = "table (aligned columns), tsv (tab-separated lines with a header) or auto: a table on a terminal, tsv otherwise.",
            DefaultValueFactory = _ => "auto",
            CustomParser = OptionParsers.Choice("--format", Names("auto", "table", "tsv")),
        };
        return option;
    }

    /// <summary>A closed set of names for <see cref="OptionParsers.Choice{T}"/>, each standing for itself (lower case).</summary>
    public static IReadOnlyDictionary<string, string> Names(params string[] names) =>
        names.ToDictionary(n => n, n => n, StringComparer.Ordinal);

    /// <summary>Whether to print aligned columns to <paramref name="output"/>.</summary>
    public static bool Aligned(ParseResult parse, Option<string> option, TextWriter output) =>
        parse.GetValue(option) switch
        {
            "table" => true,
            "tsv" => false,
            _ => Terminal.IsTerminal(output),
        };
}
