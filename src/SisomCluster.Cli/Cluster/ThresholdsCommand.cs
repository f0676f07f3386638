using System.CommandLine;
using System.Globalization;
using SisomCluster.Data;
using SisomCluster.Data.Monitoring;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom thresholds --run RUN</c>: the OOD thresholds a run was flagged with, and the versions they came from.</summary>
internal static class ThresholdsCommand
{
    public static Command Create()
    {
        Option<string?> connection = DatabaseOption.Create();
        Option<Guid> run = RunReference.Create();
        Option<string> format = TableFormatOption.Create();
        var command = new Command(
            "thresholds",
            "Print the OOD thresholds of a completed run: per score kind, the q-quantile of the in-distribution scores, over n reference items, with the model and reference-set versions." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom thresholds --run 3f2c...")
        {
            run, format, connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var dataSource = SisomDataSource.Create(DatabaseOption.Resolve(parse, connection));
            await using var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource));
            Guid id = parse.GetValue(run);
            await RunReference.RequireCompletedAsync(db, id, "its thresholds are", cancellationToken).ConfigureAwait(false);
            IReadOnlyList<Threshold> thresholds = await RunReports.ThresholdsAsync(db, id, cancellationToken).ConfigureAwait(false);
            TextWriter output = parse.InvocationConfiguration.Output;
            bool aligned = TableFormatOption.Aligned(parse, format, output);
            var table = new TextTable(
                new TableColumn("score"),
                new TableColumn("q", AlignRight: true),
                new TableColumn("n", AlignRight: true),
                new TableColumn("threshold", AlignRight: true),
                new TableColumn("model"),
                new TableColumn("reference"),
                new TableColumn("created"));
            foreach (Threshold t in thresholds)
            {
                table.AddRow(
                    t.ScoreKind,
                    t.Quantile.ToString(aligned ? "0.###" : "R", CultureInfo.InvariantCulture),
                    t.N.ToString(CultureInfo.InvariantCulture),
                    t.Value.ToString(aligned ? "G6" : "R", CultureInfo.InvariantCulture),
                    aligned ? Short(t.ModelVersion) : t.ModelVersion,
                    aligned ? Short(t.ReferenceVersion) : t.ReferenceVersion,
                    t.CreatedAt.UtcDateTime.ToString(aligned ? "yyyy-MM-dd HH:mm" : "O", CultureInfo.InvariantCulture));
            }

            table.Write(output, aligned);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Versions are SHA-256 digests: on a terminal the first 12 hex digits tell them apart.</summary>
    private static string Short(string version)
    {
        int colon = version.IndexOf(':', StringComparison.Ordinal);
        string digest = colon >= 0 ? version[(colon + 1)..] : version;
        return digest.Length > 12 ? digest[..12] : digest;
    }
}
