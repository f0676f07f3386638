using System.CommandLine;
using SisomCluster.Data;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom migrate</c>: applies the database migrations — an explicit step, never a side effect of starting a role.</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        Option<string?> connection = DatabaseOption.Create();
        var command = new Command(
            "migrate",
            "Create or upgrade the SisomCluster schema in PostgreSQL (needs the vector extension available)." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  export $(deploy/local/services.sh env) && sisom migrate")
        {
            connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IReadOnlyList<string> applied = await MigrationRunner.MigrateAsync(DatabaseOption.Resolve(parse, connection), cancellationToken).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine(applied.Count == 0 ? "the schema is up to date" : $"applied {applied.Count} migration(s): {string.Join(", ", applied)}");
            return ExitCodes.Success;
        });
        return command;
    }
}
