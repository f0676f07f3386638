using System.CommandLine;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// <c>sisom round</c>: one active-learning round through the API (<c>POST /api/v1/rounds</c>): import the new labels,
/// score the pool against them, select; with <c>--wait</c> follow it to the end and, with <c>--out</c>, write the
/// selection for the labeling tool. Idempotent per <c>--round-id</c>: a retried round finds the first one.
/// </summary>
internal static class RoundCommand
{
    public static Command Create()
    {
        var pool = new Option<string>("--pool") { Description = "The pool of the round.", Required = true };
        var labels = new Option<string?>("--labels") { Description = "The round's new labels (id,label lines, or Label Studio's JSON export with --labels-format label-studio); none: a round without new labels.", HelpName = "FILE" };
        Option<string> labelsFormat = LabelsCommand.CreateFormat("--labels-format");
        var budget = new Option<int>("--budget") { Description = "B, the number of items to select for labeling.", Required = true };
        var roundId = new Option<string?>("--round-id")
        {
            Description = "The round's id (letters, digits, '.', '_', '-'): the same id again returns that round and starts nothing; other labels under it are refused. Default: a new id.",
            HelpName = "ID",
        };
        roundId.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } id && !StartRoundRequest.IsRoundId(id))
            {
                r.AddError($"--round-id: use 1 to {StartRoundRequest.MaxRoundIdLength} letters, digits, '.', '_' or '-'.");
            }
        });
        var classNames = new Option<string?>("--class-names") { Description = "Comma-separated class names in label order, to accept names in the labels. Default: the class_names of the round's model's manifest.", HelpName = "A,B,C" };
        var model = new Option<string>("--model") { Description = "A model name the server knows.", DefaultValueFactory = _ => StartRunRequest.DefaultModel };
        var wait = new Option<bool>("--wait") { Description = "Follow the round until its run ends; exit 3 when it failed." };
        var noKnn = new Option<bool>("--no-knn") { Description = "The round's run skips the KNN baseline (as sisom run start --no-knn; OOD by sisom)." };
        var output = new Option<DirectoryInfo?>("--out")
        {
            Description = "With --wait: write the selection to this folder as selection.labelstudio.json, selection.csv and selection.jsonl.",
            HelpName = "DIR",
        };
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between two looks at the round (--wait).",
            DefaultValueFactory = _ => 2.0,
            CustomParser = OptionParsers.Number("--interval", v => v is > 0 and <= 3600, "a number of seconds in (0, 3600]"),
        };
        var command = new Command(
            "round",
            "Run one active-learning round: import the labels (all or nothing), score the pool against the new reference set, "
            + "select the budget (labeled and OOD-flagged items left out) and export the selection. Prints the round's id, state and run." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom round --pool fashion --labels new.csv --budget 50 --round-id nightly-2026-12-06 --wait --out round-1" + Environment.NewLine
            + "  sisom round --pool fashion --labels export.json --labels-format label-studio --budget 50 --wait")
        {
            pool, labels, labelsFormat, budget, roundId, classNames, model, wait, output, interval, noKnn,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(output) is not null && !r.GetValue(wait))
            {
                r.AddError("--out needs --wait: the selection exists once the round's run has completed.");
            }
        });
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            string text = "";
            if (parse.GetValue(labels) is { } path)
            {
                using var reader = new StreamReader(LabelsCommand.OpenLabels(path, parse.GetValue(labelsFormat)!, stdout));
                text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }

            using SisomApiClient client = connection.Client(parse);
            string poolName = parse.GetRequiredValue(pool);
            RoundResponse round;
            try
            {
                round = await client.StartRoundAsync(
                    new StartRoundRequest(parse.GetValue(roundId), poolName, text, parse.GetValue(budget), parse.GetValue(classNames)?.Split(',', StringSplitOptions.TrimEntries), parse.GetValue(model), Knn: parse.GetValue(noKnn) ? false : null),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (SisomApiException e) when (e.Problem?.Problems is { Count: > 0 } problems)
            {
                TextWriter error = parse.InvocationConfiguration.Error;
                error.WriteLine($"error: {parse.GetValue(labels)}: {e.Problem.ProblemCount ?? problems.Count} problem(s); nothing was imported and no round started");
                foreach (LabelProblemResponse problem in problems)
                {
                    error.WriteLine($"  line {problem.Line}: {problem.Message}");
                }

                return ExitCodes.UsageError;
            }

            stdout.WriteLine(Describe(round) + (round.Existing ? " (existing round: nothing changed)" : ""));
            if (!parse.GetValue(wait))
            {
                return ExitCodes.Success;
            }

            TimeSpan every = TimeSpan.FromSeconds(parse.GetValue(interval));
            string previous = Describe(round);
            try
            {
                while (!round.IsFinished)
                {
                    await Task.Delay(every, cancellationToken).ConfigureAwait(false);
                    round = await client.GetRoundAsync(round.Id, cancellationToken).ConfigureAwait(false);
                    string line = Describe(round);
                    if (line != previous)
                    {
                        stdout.WriteLine(line);
                        previous = line;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }

            if (round.State != RoundStates.Completed)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: round {round.Id} failed{(round.Error is { } e ? $": {e}" : "")}");
                return ExitCodes.RunNotCompleted;
            }

            if (parse.GetValue(output) is { } folder && round.RunId is { } run)
            {
                folder.Create();
                foreach (string format in SelectionFormats.All)
                {
                    var file = new FileInfo(Path.Combine(folder.FullName, "selection." + SelectionFormats.Extension(format)));
                    await SelectCommand.DownloadAsync(client, run, format, file, stdout, cancellationToken).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>One line: id, state, run, what the import did, the selection's size.</summary>
    internal static string Describe(RoundResponse r) =>
        $"round {r.Id}{(r.Attempt > 1 ? $" (attempt {r.Attempt})" : "")}: {r.State}; run {r.RunId?.ToString() ?? "-"}; labels {r.LabelsAdded} added, {r.LabelsUnchanged} unchanged"
        + (r.Selected is { } n ? $"; {n} selected" : "")
        + (r.Error is { } e ? $"; {e}" : "");
}
