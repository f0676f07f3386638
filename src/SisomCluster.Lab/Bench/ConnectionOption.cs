using System.CommandLine;
using SisomCluster.Cli;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// The PostgreSQL connection of the benchmarks that measure against the database (<c>bench copy</c>, <c>cluster</c>,
/// <c>rescore</c>, <c>suite</c>). The Lab's own, not the CLI's DatabaseOption: the product CLI is moving to the API.
/// </summary>
internal static class ConnectionOption
{
    public const string Variable = "ConnectionStrings__Sisom";

    public static Option<string?> Create() =>
        new("--connection")
        {
            Description = $"PostgreSQL connection string; default: the {Variable} environment variable (export $(deploy/local/services.sh env)).",
            HelpName = "CONNECTION",
        };

    /// <summary>The given or exported connection string, or null when there is none.</summary>
    public static string? Find(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is { Length: > 0 } given ? given
        : Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;

    public static string Resolve(ParseResult parse, Option<string?> option) =>
        Find(parse, option) ?? throw new UsageException($"no database: pass --connection or set {Variable} (export $(deploy/local/services.sh env)).");
}
