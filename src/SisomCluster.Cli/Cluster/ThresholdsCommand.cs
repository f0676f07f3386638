using System.CommandLine;
using System.Globalization;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom thresholds RUN</c>: the OOD thresholds a run was flagged with, and the versions they came from.</summary>
internal static class ThresholdsCommand
{
    public static Command Create()
    {
        Argument<string> run = RunReference.Create();
        Option<string> format = TableFormatOption.Create();
        var command = new Command(
            "thresholds",
            "Print the OOD thresholds of a completed run: per score kind, the q-quantile of the in-distribution scores, over n reference items, with the model and reference-set versions." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom thresholds 3f2c9a1b")
        {
            run, format,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            RunResponse found = await RunReference.ResolveCompletedAsync(client, parse, run, "its thresholds are", cancellationToken).ConfigureAwait(false);
            List<ThresholdResponse> thresholds = await client.ThresholdsAsync(found.Id, cancellationToken).ConfigureAwait(false);
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
            foreach (ThresholdResponse t in thresholds)
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
