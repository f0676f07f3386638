using System.CommandLine;
using System.Globalization;
using SisomCluster.Contracts.Http;
using SisomCluster.Core.Evaluation;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom drift RUN</c>: a completed run's OOD rate per source or per hour, and which buckets drift.</summary>
internal static class DriftCommand
{
    public static Command Create()
    {
        Argument<string> run = RunReference.Create();
        var kind = new Option<string>("--kind") { Description = "source or hour; default: both.", CustomParser = OptionParsers.Choice("--kind", TableFormatOption.Names("source", "hour")) };
        Option<string> format = TableFormatOption.Create();
        var command = new Command(
            "drift",
            "Print a completed run's OOD rate per bucket (per source, or per hour of capture) with its Wilson 95 % interval. "
            + "A bucket drifts when the rate expected of in-distribution data, 1 - q, lies outside that interval." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom drift 3f2c9a1b --kind source")
        {
            run, kind, format,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            RunResponse found = await RunReference.ResolveCompletedAsync(client, parse, run, "its drift points are", cancellationToken).ConfigureAwait(false);
            var points = new List<DriftPointResponse>();
            await foreach (DriftPointResponse p in client.DriftAsync(found.Id, parse.GetValue(kind), cancellationToken).ConfigureAwait(false))
            {
                points.Add(p);
            }

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
            foreach (DriftPointResponse p in points)
            {
                table.AddRow(
                    p.Kind,
                    p.Bucket,
                    p.Scored.ToString(CultureInfo.InvariantCulture),
                    p.Flagged.ToString(CultureInfo.InvariantCulture),
                    Rate(p.Rate),
                    Rate(p.Lower),
                    Rate(p.Upper),
                    WilsonInterval.IsDrift(p.Scored, p.Lower, p.Upper, found.Quantile) ? "yes" : "no");
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
