using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SisomCluster.Contracts.Http;
using SisomCluster.Core.Evaluation;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// <c>sisom drift RUN</c>: a completed run's OOD rate per source or per hour, and which buckets drift;
/// <c>sisom drift --pool P --by day|source</c>: the same across the pool's completed runs (each bucket from the newest
/// completed run that scored it).
/// </summary>
internal static class DriftCommand
{
    public static Command Create()
    {
        Argument<string> run = RunReference.Create();
        run.Arity = ArgumentArity.ZeroOrOne;
        var kind = new Option<string>("--kind") { Description = "With RUN: source or hour; default: both.", CustomParser = OptionParsers.Choice("--kind", TableFormatOption.Names("source", "hour")) };
        var pool = new Option<string>("--pool") { Description = "Instead of RUN: the pool whose completed runs to read, per --by bucket." };
        var by = new Option<string>("--by") { Description = "With --pool: day (UTC day of capture) or source; default: day.", CustomParser = OptionParsers.Choice("--by", TableFormatOption.Names("day", "source")) };
        var from = new Option<DateTimeOffset?>("--from") { Description = "With --pool: days from this date or instant (ISO-8601, UTC); for --by source, runs completed from it.", CustomParser = Instant("--from") };
        var to = new Option<DateTimeOffset?>("--to") { Description = "With --pool: before this date or instant; for --by source, runs completed before it.", CustomParser = Instant("--to") };
        var score = new Option<string>("--score") { Description = "With --pool: only runs that counted this OOD score.", CustomParser = OptionParsers.Choice("--score", TableFormatOption.Names([.. OodScoreNames.All])) };
        Option<string> format = TableFormatOption.Create();
        var command = new Command(
            "drift",
            "Print a completed run's OOD rate per bucket (per source, or per hour of capture) with its Wilson 95 % interval; "
            + "with --pool, the pool's OOD rate across its completed runs per day or source (each bucket counted from the newest "
            + "completed run that scored it, so re-scored items count once). "
            + "A bucket drifts when the rate expected of in-distribution data, 1 - q, lies outside that interval." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom drift 3f2c9a1b --kind source" + Environment.NewLine
            + "  sisom drift --pool crawl --by day --from 2026-11-01")
        {
            run, kind, pool, by, from, to, score, format,
        };
        command.Validators.Add(result =>
        {
            bool hasRun = result.GetResult(run) is { Tokens.Count: > 0 };
            bool hasPool = result.GetResult(pool) is not null;
            if (hasRun == hasPool)
            {
                result.AddError("give either RUN (one run's drift) or --pool (drift across the pool's runs), not both or neither.");
            }
            else if (hasRun && (result.GetResult(by) ?? result.GetResult(from) ?? result.GetResult(to) ?? (SymbolResult?)result.GetResult(score)) is not null)
            {
                result.AddError("--by, --from, --to and --score go with --pool; with RUN use --kind.");
            }
            else if (hasPool && result.GetResult(kind) is not null)
            {
                result.AddError("--kind goes with RUN; with --pool use --by day|source.");
            }
        });
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            TextWriter output = parse.InvocationConfiguration.Output;
            bool aligned = TableFormatOption.Aligned(parse, format, output);
            string Rate(double value) => aligned ? Percent(value) : value.ToString("R", CultureInfo.InvariantCulture);
            if (parse.GetValue(pool) is { } poolName)
            {
                return await PoolAsync(client, poolName, parse.GetValue(by) ?? "day", parse.GetValue(from), parse.GetValue(to), parse.GetValue(score), output, aligned, Rate, cancellationToken).ConfigureAwait(false);
            }

            RunResponse found = await RunReference.ResolveCompletedAsync(client, parse, run, "its drift points are", cancellationToken).ConfigureAwait(false);
            var points = new List<DriftPointResponse>();
            await foreach (DriftPointResponse p in client.DriftAsync(found.Id, parse.GetValue(kind), cancellationToken).ConfigureAwait(false))
            {
                points.Add(p);
            }

            var table = new TextTable(
                new TableColumn("kind"),
                new TableColumn("bucket"),
                new TableColumn("scored", AlignRight: true),
                new TableColumn("flagged", AlignRight: true),
                new TableColumn("rate", AlignRight: true),
                new TableColumn("lower", AlignRight: true),
                new TableColumn("upper", AlignRight: true),
                new TableColumn("drift"));
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

    private static async Task<int> PoolAsync(
        SisomApiClient client, string pool, string by, DateTimeOffset? from, DateTimeOffset? to, string? score, TextWriter output, bool aligned, Func<double, string> rate, CancellationToken cancellationToken)
    {
        var table = new TextTable(
            new TableColumn("kind"),
            new TableColumn("bucket"),
            new TableColumn("scored", AlignRight: true),
            new TableColumn("flagged", AlignRight: true),
            new TableColumn("rate", AlignRight: true),
            new TableColumn("lower", AlignRight: true),
            new TableColumn("upper", AlignRight: true),
            new TableColumn("expected", AlignRight: true),
            new TableColumn("drift"),
            new TableColumn("run"),
            new TableColumn("runs", AlignRight: true));
        try
        {
            await foreach (PoolDriftPointResponse p in client.PoolDriftAsync(pool, by, from, to, score, cancellationToken).ConfigureAwait(false))
            {
                table.AddRow(
                    p.Kind,
                    p.Bucket,
                    p.Scored.ToString(CultureInfo.InvariantCulture),
                    p.Flagged.ToString(CultureInfo.InvariantCulture),
                    rate(p.Rate),
                    rate(p.Lower),
                    rate(p.Upper),
                    rate(p.Expected),
                    p.Drift ? "yes" : "no",
                    aligned ? p.RunId.ToString()[..RunIds.MinPrefixLength] : p.RunId.ToString(),
                    p.Runs.ToString(CultureInfo.InvariantCulture));
            }
        }
        catch (SisomApiException e) when (e.Status == 404)
        {
            throw new UsageException($"no pool named '{pool}' (sisom pool list shows the pools).");
        }

        table.Write(output, aligned);
        if (aligned)
        {
            output.WriteLine("each bucket counts the newest completed run that scored it (run); runs: how many completed runs scored it.");
        }

        return ExitCodes.Success;
    }

    /// <summary>An ISO-8601 date (UTC midnight) or instant, read in the invariant culture.</summary>
    private static Func<ArgumentResult, DateTimeOffset?> Instant(string optionName) => result =>
    {
        string token = result.Tokens.Count == 0 ? string.Empty : result.Tokens[^1].Value;
        if (DateTimeOffset.TryParse(token, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset value))
        {
            return value;
        }

        result.AddError($"{optionName} must be an ISO-8601 date or instant (2026-11-20 or 2026-11-20T08:00:00Z), got '{token}'.");
        return null;
    };

    /// <summary>"17.5%": the invariant culture's P format puts a space before the sign.</summary>
    private static string Percent(double value) => (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
