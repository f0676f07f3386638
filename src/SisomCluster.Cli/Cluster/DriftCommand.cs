using System.CommandLine;
using System.Globalization;
using SisomCluster.Data;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Runs;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom drift --run RUN</c>: a completed run's OOD rate per source or per hour, and which buckets drift.</summary>
internal static class DriftCommand
{
    public static Command Create()
    {
        Option<string?> connection = DatabaseOption.Create();
        Option<Guid> run = RunReference.Create();
        var kind = new Option<string>("--kind") { Description = "source or hour; default: both.", CustomParser = OptionParsers.Choice("--kind", TableFormatOption.Names("source", "hour")) };
        Option<string> format = TableFormatOption.Create();
        var command = new Command(
            "drift",
            "Print a completed run's OOD rate per bucket (per source, or per hour of capture) with its Wilson 95 % interval. "
            + "A bucket drifts when the rate expected of in-distribution data, 1 - q, lies outside that interval." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom drift --run 3f2c... --kind source")
        {
            run, kind, format, connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var dataSource = SisomDataSource.Create(DatabaseOption.Resolve(parse, connection));
            await using var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource));
            Guid id = parse.GetValue(run);
            Run found = await RunReference.RequireCompletedAsync(db, id, "its drift points are", cancellationToken).ConfigureAwait(false);
            DriftBucketKind? bucketKind = parse.GetValue(kind) switch
            {
                "source" => DriftBucketKind.Source,
                "hour" => DriftBucketKind.Hour,
                _ => null,
            };
            IReadOnlyList<DriftPoint> points = await RunReports.DriftAsync(db, id, bucketKind, cancellationToken).ConfigureAwait(false);
            TextWriter output = parse.InvocationConfiguration.Output;
            bool aligned = TableFormatOption.Aligned(parse, format, output);
            var table = new TextTable(
                new TableColumn("kind"),
                new TableColumn("bucket"),
                new TableColumn("scored", AlignRight: true),
                new TableColumn("flagged", AlignRight: true),
                new TableColumn("rate", AlignRight: true),
                new TableColumn("lower", AlignRight: true),
                new TableColumn("upper", AlignRight: true),
                new TableColumn("drift"));
            string Rate(double value) => aligned ? Percent(value) : value.ToString("R", CultureInfo.InvariantCulture);
            foreach (DriftPoint p in points)
            {
                table.AddRow(
                    p.BucketKind.ToString().ToLowerInvariant(),
                    p.Bucket,
                    p.Scored.ToString(CultureInfo.InvariantCulture),
                    p.Flagged.ToString(CultureInfo.InvariantCulture),
                    Rate(p.Rate),
                    Rate(p.Lower),
                    Rate(p.Upper),
                    RunReports.IsDrift(p, found.Quantile) ? "yes" : "no");
            }

            table.Write(output, aligned);
            if (aligned)
            {
                output.WriteLine($"expected rate without drift: 1 - q = {Percent(1 - found.Quantile)}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>"17.5%": the invariant culture's P format puts a space before the sign.</summary>
    private static string Percent(double value) => (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
