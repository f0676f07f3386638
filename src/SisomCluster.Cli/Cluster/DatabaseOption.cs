using System.CommandLine;

namespace SisomCluster.Cli.Cluster;

/// <summary>The PostgreSQL connection of the commands that talk to the cluster's database.</summary>
internal static class DatabaseOption
{
    public const string Variable = "ConnectionStrings__Sisom";

    public static Option<string?> Create() =>
        new("--connection")
        {
            Description = $"PostgreSQL connection string; default: the {Variable} environment variable (export $(deploy/local/services.sh env)).",
            HelpName = "CONNECTION",
        };

    public static string Resolve(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is { Length: > 0 } given ? given
        : Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : throw new UsageException($"no database: pass --connection or set {Variable} (export $(deploy/local/services.sh env)).");
}
