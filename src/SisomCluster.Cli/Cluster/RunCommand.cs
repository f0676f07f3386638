using System.CommandLine;
using System.Globalization;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom run start|list|status|watch|cancel</c>: runs through the API (a coordinator launches them).</summary>
internal static class RunCommand
{
    public static Command Create() =>
        new("run", "Scoring runs over a pool." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run start --pool fashion --budget 100")
        {
            CreateStart(),
            CreateList(),
            CreateStatus(),
            CreateWatch(),
            CreateCancel(),
        };

    private static Command CreateStart()
    {
        var pool = new Option<string>("--pool") { Description = "The pool to score.", Required = true };
        var budget = new Option<int>("--budget") { Description = "B, the number of items to select for labeling.", DefaultValueFactory = _ => 100 };
        var model = new Option<string>("--model") { Description = "A model name the server knows: 'resnet18' or a model in the server's Models__Directory.", DefaultValueFactory = _ => StartRunRequest.DefaultModel };
        var quantile = new Option<double>("--quantile") { Description = "Target ID true-positive rate q of the OOD thresholds.", DefaultValueFactory = _ => StartRunRequest.DefaultQuantile };
        var shardSize = new Option<int?>("--shard-size") { Description = $"Items per shard (a tar file is always one shard); default: the coordinator's (Coordinator__ShardSize, {StartRunRequest.DefaultShardSize}; Coordinator__EmbeddingShardSize, {StartRunRequest.DefaultEmbeddingShardSize}, for pools of stored embeddings)." };
        var embeddings = new Option<bool>("--store-embeddings") { Description = "Keep each item's features for re-scoring and similar-item search." };
        var incremental = new Option<bool>("--incremental")
        {
            Description = "Score only the items no earlier completed run scored with the same model and labels (a growing pool's new shards or files); the run's selection and drift cover those new items.",
        };
        var reuse = new Option<string?>("--reuse-embeddings")
        {
            Description = "Re-score an earlier run's stored embeddings instead of running the backbone again: --reuse-embeddings alone picks the newest completed run of the pool and model that stored them (none: every item is embedded), --reuse-embeddings=RUN names one (full run id). Items it holds no embedding for are embedded as usual.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var oodScore = new Option<string>("--ood-score")
        {
            Description = "The score whose threshold flags OOD and drives drift: " + string.Join(" | ", OodScoreNames.All) + ". Every score is stored either way. Default: knn, or sisom with --no-knn.",
            DefaultValueFactory = _ => OodScoreNames.Default,
            CustomParser = OptionParsers.Choice("--ood-score", OodScoreNames.All.ToDictionary(n => n, n => n)),
        };
        var noKnn = new Option<bool>("--no-knn")
        {
            Description = "Skip the KNN baseline (k-th nearest reference over all labeled items, for every item): faster re-scoring; no knn score, flag or threshold, and --ood-score cannot be knn.",
        };
        var command = new Command(
            "start",
            "Request a run; a coordinator launches it. Prints the run id." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run start --pool fashion --budget 50" + Environment.NewLine
            + "  sisom run start --pool crawl --budget 50 --incremental" + Environment.NewLine
            + "  sisom run start --pool fashion --budget 50 --reuse-embeddings" + Environment.NewLine
            + "  sisom run start --pool crawl --budget 50 --no-knn --ood-score sisom")
        {
            pool, budget, model, quantile, shardSize, embeddings, oodScore, incremental, reuse, noKnn,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            bool skipKnn = parse.GetValue(noKnn);

            // Without KNN an --ood-score left out is the server's default for such a run (sisom), not knn.
            string? ood = skipKnn && parse.GetResult(oodScore) is not { Implicit: false } ? null : parse.GetValue(oodScore);
            using SisomApiClient client = connection.Client(parse);
            RunResponse run = await client.StartRunAsync(
                new StartRunRequest(parse.GetRequiredValue(pool), parse.GetValue(model), parse.GetValue(budget), parse.GetValue(quantile), parse.GetValue(embeddings), parse.GetValue(shardSize), ood, parse.GetValue(incremental) ? true : null, ReuseValue(parse.GetResult(reuse)), skipKnn ? false : null),
                cancellationToken).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine(run.Id.ToString());
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateList()
    {
        var pool = new Option<string?>("--pool") { Description = "Only this pool's runs." };
        var state = new Option<string?>("--state") { Description = "Only runs in this state: pending, running, completed, failed, cancelled." };
        var limit = new Option<int>("--limit")
        {
            Description = "At most this many runs (newest first).",
            DefaultValueFactory = _ => 20,
            CustomParser = OptionParsers.Integer("--limit", v => v is >= 1 and <= 100_000, "an integer in 1..100000"),
        };
        Option<string> format = TableFormatOption.Create();
        var command = new Command(
            "list",
            "List runs, newest first, with their progress: the id's first 8 digits are enough for every other run command." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run list --limit 5")
        {
            pool, state, limit, format,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            TextWriter output = parse.InvocationConfiguration.Output;
            bool aligned = TableFormatOption.Aligned(parse, format, output);
            var table = new TextTable(
                new TableColumn("run"),
                new TableColumn("pool"),
                new TableColumn("state"),
                new TableColumn("shards", AlignRight: true),
                new TableColumn("items", AlignRight: true),
                new TableColumn("errors", AlignRight: true),
                new TableColumn("budget", AlignRight: true),
                new TableColumn("created"));
            int wanted = parse.GetValue(limit);
            int listed = 0;
            string? token = null;
            do
            {
                Page<RunResponse> page = await client.ListRunsAsync(parse.GetValue(pool), parse.GetValue(state), pageSize: Math.Min(wanted - listed, SisomApiClient.MaxPageSize), pageToken: token, cancellationToken: cancellationToken).ConfigureAwait(false);
                foreach (RunResponse r in page.Items)
                {
                    RunProgressResponse? p = r.Progress;
                    table.AddRow(
                        aligned ? r.Id.ToString()[..RunIds.MinPrefixLength] : r.Id.ToString(),
                        r.Pool ?? r.PoolId.ToString(),
                        r.State,
                        p is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{p.DoneShards + p.FailedShards}/{p.TotalShards}"),
                        p is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{p.ItemsScored}/{p.Items}"),
                        p is null ? "" : (p.ItemsFailed + p.ItemsInFailedShards).ToString(CultureInfo.InvariantCulture),
                        r.Budget.ToString(CultureInfo.InvariantCulture),
                        r.CreatedAt.UtcDateTime.ToString(aligned ? "yyyy-MM-dd HH:mm" : "O", CultureInfo.InvariantCulture));
                    listed++;
                }

                token = page.NextPageToken;
            }
            while (token is not null && listed < wanted);

            table.Write(output, aligned);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateStatus()
    {
        Argument<string> run = RunReference.Create();
        var command = new Command(
            "status",
            "Print a run's state and progress." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run status 3f2c9a1b")
        {
            run,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            RunResponse found = await RunReference.ResolveAsync(client, parse, run, cancellationToken).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine(Describe(found));
            if (DescribeParked(found) is { } parked)
            {
                parse.InvocationConfiguration.Output.WriteLine(parked);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateCancel()
    {
        Argument<string> run = RunReference.Create();
        var command = new Command(
            "cancel",
            "Cancel a pending or running run: its unfinished shards fail; scores already committed stay." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run cancel 3f2c9a1b")
        {
            run,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            RunResponse found = await RunReference.ResolveAsync(client, parse, run, cancellationToken).ConfigureAwait(false);
            RunResponse cancelled = await client.CancelRunAsync(found.Id, cancellationToken).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine(Describe(cancelled));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateWatch()
    {
        Argument<string> run = RunReference.Create();
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between two looks at the run.",
            DefaultValueFactory = _ => 1.0,
            CustomParser = OptionParsers.Number("--interval", v => v is > 0 and <= 3600, "a number of seconds in (0, 3600]"),
        };
        var command = new Command(
            "watch",
            "Follow a run until it ends: a progress bar on a terminal, a line per change otherwise. "
            + "Exits 0 when the run completes, 3 when it failed or was cancelled." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run watch $(sisom run start --pool fashion --budget 50)")
        {
            run, interval,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            TimeSpan every = TimeSpan.FromSeconds(parse.GetValue(interval));
            TextWriter output = parse.InvocationConfiguration.Output;
            bool terminal = Terminal.IsTerminal(output);
            string? previous = null;
            int width = 0;
            RunResponse found;
            try
            {
                found = await RunReference.ResolveAsync(client, parse, run, cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    string line = Describe(found);
                    if (terminal)
                    {
                        RunProgressResponse? p = found.Progress;
                        string bar = ProgressBar.Render(p is null ? 0 : p.DoneShards + p.FailedShards, p?.TotalShards ?? 0) + " " + line;
                        output.Write("\r" + bar.PadRight(width));
                        width = bar.Length;
                    }
                    else if (line != previous)
                    {
                        output.WriteLine(line);
                    }

                    previous = line;
                    if (found.IsFinished)
                    {
                        break;
                    }

                    await Task.Delay(every, cancellationToken).ConfigureAwait(false);
                    found = await client.GetRunAsync(found.Id, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (terminal)
                {
                    output.WriteLine();
                }

                return ExitCodes.Interrupted;
            }

            if (terminal)
            {
                output.WriteLine();
            }

            if (found.State == RunStates.Completed)
            {
                return ExitCodes.Success;
            }

            parse.InvocationConfiguration.Error.WriteLine($"error: run {found.Id} {(found.State == RunStates.Failed ? "failed" : "was cancelled")}{(found.Error is { } e ? $": {e}" : string.Empty)}");
            return ExitCodes.RunNotCompleted;
        });
        return command;
    }

    /// <summary>--reuse-embeddings: absent → null, given alone → auto, given a value → that run id.</summary>
    private static string? ReuseValue(System.CommandLine.Parsing.OptionResult? result) =>
        result is null || result.Implicit ? null
        : result.Tokens.Count == 0 ? StartRunRequest.AutoEmbeddings
        : result.Tokens[0].Value;

    /// <summary>One line: state, shards by state, items — what run status prints and run watch logs.</summary>
    internal static string Describe(RunResponse run)
    {
        RunProgressResponse p = run.Progress ?? new RunProgressResponse(0, 0, 0, 0, 0, 0, 0, 0, 0);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"run {run.Id}: {run.State}; OOD by {run.OodScore}{(run.Knn ? string.Empty : " (no KNN)")}; shards {p.DoneShards} done, {p.LeasedShards} leased, {p.PendingShards} pending, {p.FailedShards} failed of {p.TotalShards}; items {p.ItemsScored} scored, {p.ItemsFailed} with errors{(run.EmbeddingsFrom is { } from ? $"; {p.ReusedEmbeddings} re-scored from run {from}'s stored embeddings (no backbone pass)" : string.Empty)}{(p.ItemsSkipped > 0 ? $", {p.ItemsSkipped} left out (scored before)" : string.Empty)}{(run.Error is { } e ? $"; error: {e}" : string.Empty)}");
    }

    /// <summary>The parked-messages warning of a run not yet finished, or null when nothing is parked.</summary>
    internal static string? DescribeParked(RunResponse run)
    {
        if (run.ParkedMessages is not { } parked)
        {
            return null;
        }

        string queues = string.Join(", ", parked.Queues.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => string.Create(CultureInfo.InvariantCulture, $"{q.Key}: {q.Value}")));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"warning: {parked.Messages} message(s) parked in error queues at {parked.CheckedAt:u} ({queues}). {parked.Note}");
    }
}
