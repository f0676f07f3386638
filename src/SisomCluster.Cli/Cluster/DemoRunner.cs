using System.Globalization;
using SisomCluster.Contracts.Http;
using SisomCluster.Core.Evaluation;
using SisomCluster.Inference.Datasets;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// <c>sisom demo</c>, step by step: local services, migration and keys (sisom-server, where the database is), a Fashion-MNIST pool with ground truth, the servers
/// (coordinator + aggregator + api in one process, N workers), labels, one run watched to completion, then a summary
/// read back through the REST API: the selection, OOD AUROC per score against the ground truth, the dashboard URL.
/// </summary>
internal sealed class DemoRunner(DemoOptions options, TextWriter output, TextWriter error)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        string? checkout = LocalServices.FindCheckout();
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.StartServices)
        {
            if (checkout is null)
            {
                throw new UsageException("demo starts the local services from a checkout (deploy/local/services.sh); outside one, pass --no-services with ConnectionStrings__Sisom and ConnectionStrings__RabbitMq set.");
            }

            Step("local services: deploy/local/services.sh up (installs and starts PostgreSQL + pgvector and RabbitMQ if missing)");
            foreach ((string key, string value) in await LocalServices.RunAsync(checkout, "up", error, cancellationToken).ConfigureAwait(false))
            {
                env[key] = value;
            }
        }

        string database = options.Connection ?? Setting(env, "ConnectionStrings__Sisom");
        string rabbit = options.RabbitMq ?? Setting(env, "ConnectionStrings__RabbitMq");
        string serverPath = options.ServerPath ?? ServerProcess.DefaultServerPath();
        var admin = new Dictionary<string, string> { ["ConnectionStrings__Sisom"] = database };

        // The only steps that touch the database directly, as an operator would: the schema and the first keys.
        Step("migrate: sisom-server migrate");
        output.Write(await ServerProcess.RunAdminAsync(serverPath, ["migrate"], admin, cancellationToken).ConfigureAwait(false));
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string writeKey = (await ServerProcess.RunAdminAsync(serverPath, ["apikey", "create", "--name", "demo-" + stamp, "--scope", "write"], admin, cancellationToken).ConfigureAwait(false)).Trim();

        // A read-only key for the dashboard link (revoke it with sisom apikey revoke when done).
        string dashboardKey = (await ServerProcess.RunAdminAsync(serverPath, ["apikey", "create", "--name", "demo-dashboard-" + stamp, "--scope", "read"], admin, cancellationToken).ConfigureAwait(false)).Trim();

        string work = Path.GetFullPath(options.WorkDirectory ?? (checkout is null ? Path.Combine(Path.GetTempPath(), "sisom-demo") : Path.Combine(checkout, ".local", "demo")));
        string poolName = "fashion-demo-" + stamp;
        FashionMnistPoolSpec spec = options.Pool;
        Step($"pool {poolName}: {spec.InDistribution} in-distribution (classes 0-5, {spec.Labeled} labeled), {spec.NearOod} near-OOD (classes 6-9), {spec.FarOod} far-OOD (noise, blank) as {spec.Tars} tar shards");
        FashionMnistPool pool = FashionMnistPool.Write(Path.Combine(work, poolName), spec);
        string labels = Path.Combine(work, poolName + "-labels.csv");
        await File.WriteAllLinesAsync(labels, pool.LabelLines(), cancellationToken).ConfigureAwait(false);

        string logs = Path.Combine(work, "logs", poolName);
        int threads = Math.Max(1, Environment.ProcessorCount / options.Workers);
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Sisom"] = database,
            ["ConnectionStrings__RabbitMq"] = rabbit,
            ["Server__QueuePrefix"] = "sisom-demo",
            ["Worker__ModelCache"] = options.ModelCache,
            ["Worker__IntraOpThreads"] = threads.ToString(CultureInfo.InvariantCulture),
            ["Worker__DecodeThreads"] = threads.ToString(CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        Step($"servers: coordinator,aggregator,api on http://127.0.0.1:{options.Port} and {options.Workers} worker(s); logs in {logs}");
        var servers = new List<ServerProcess>();
        try
        {
            var main = new Dictionary<string, string>(settings) { ["urls"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.Port}") };
            servers.Add(await ServerProcess.StartAsync(serverPath, "coordinator,aggregator,api", main, logs, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false));
            servers.AddRange(await Task.WhenAll(Enumerable.Range(0, options.Workers)
                .Select(_ => ServerProcess.StartAsync(serverPath, "worker", settings, logs, TimeSpan.FromMinutes(2), cancellationToken))).ConfigureAwait(false));
            string url = servers[0].Url!.TrimEnd('/');

            // From here on the demo is a client of the REST API, as any user is.
            Invoke("pool", "add", poolName, pool.Directory, "--kind", "tar", "--server", url, "--api-key", writeKey);
            Invoke("labels", "import", labels, "--pool", poolName, "--class-names", string.Join(',', FashionMnist.ClassNames), "--server", url, "--api-key", writeKey);
            using var client = new SisomApiClient(new Uri(url), writeKey);
            RunResponse started = await client.StartRunAsync(new StartRunRequest(poolName, StartRunRequest.DefaultModel, options.Budget, 0.95, StoreEmbeddings: true, ShardSize: 4096), cancellationToken).ConfigureAwait(false);
            Step($"run {started.Id}: embedding the labeled items, fitting the head, scoring the pool");
            RunResponse run = await WatchAsync(client, started.Id, cancellationToken).ConfigureAwait(false);
            if (run.State != RunStates.Completed)
            {
                error.WriteLine($"run {run.Id} {run.State}: {run.Error}");
                foreach (ServerProcess s in servers)
                {
                    error.WriteLine($"== {s.LogPath}\n{s.Tail()}");
                }

                return ExitCodes.Failure;
            }

            await SummaryAsync(client, run, pool, cancellationToken).ConfigureAwait(false);
            output.WriteLine();
            output.WriteLine($"dashboard: {url}/#key={dashboardKey}   (REST API under /api/v1, OpenAPI at /openapi/v1.json)");
            output.WriteLine("  the key in the link is a read-only API key created for this demo (sisom apikey revoke to remove it)");
            if (options.WriteLogin)
            {
                string path = CliConfig.DefaultPath();
                new CliConfig(url, writeKey).Save(path);
                output.WriteLine($"CLI: wrote {path} (server {url}, a write key), so in another terminal: ./sisom run list; ./sisom select {run.Id.ToString()[..RunIds.MinPrefixLength]} --format csv");
            }

            if (!options.ExitAfterSummary)
            {
                output.WriteLine("serving; Ctrl+C stops the servers");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    output.WriteLine("stopping");
                }
            }

            return ExitCodes.Success;
        }
        finally
        {
            foreach (ServerProcess s in servers)
            {
                await s.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<RunResponse> WatchAsync(SisomApiClient client, Guid runId, CancellationToken cancellationToken)
    {
        var progress = ProgressLine.For(error);
        string last = "";
        while (true)
        {
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            RunResponse run = await client.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
            RunProgressResponse p = run.Progress ?? new RunProgressResponse(0, 0, 0, 0, 0, 0, 0, 0, 0);
            string line = run.State == RunStates.Pending
                ? "preparing the scoring context"
                : string.Create(CultureInfo.InvariantCulture, $"{run.State}: {p.ItemsScored + p.ItemsFailed}/{p.Items} items, shards {p.DoneShards} done, {p.LeasedShards} running, {p.PendingShards} pending, {p.FailedShards} failed");
            progress.Update(line);
            if (line != last && !ReferenceEquals(error, Console.Error) | Console.IsErrorRedirected)
            {
                error.WriteLine(line);
            }

            last = line;
            if (run.IsFinished)
            {
                progress.Clear();
                return run;
            }
        }
    }

    private async Task SummaryAsync(SisomApiClient client, RunResponse run, FashionMnistPool pool, CancellationToken cancellationToken)
    {
        Dictionary<string, FashionMnistPoolItem> truth = pool.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        var scored = new List<StoredScore>();
        await foreach (ScoredItemResponse s in client.ScoresAsync(run.Id, cancellationToken).ConfigureAwait(false))
        {
            if (truth.TryGetValue(s.ItemId, out FashionMnistPoolItem? item))
            {
                scored.Add(new StoredScore(item, s.Scores.Sisom, s.Scores.Sisome, s.Scores.Msp, s.Scores.Energy, s.Scores.Knn ?? double.NaN, FlaggedBy(s.Scores.Flags, run.OodScore)));
            }
        }

        var selected = new List<(string Id, int Predicted)>();
        await foreach (SelectionResponse s in client.SelectionAsync(run.Id, cancellationToken).ConfigureAwait(false))
        {
            selected.Add((s.ItemId, s.Predicted));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scored {scored.Count} of {pool.Items.Count} items in {(run.CompletedAt!.Value - run.CreatedAt).TotalSeconds:F0} s; {scored.Count(s => s.Flagged)} flagged OOD by {run.OodScore} at q = {run.Quantile}"));
        output.WriteLine();
        output.WriteLine($"selection: {selected.Count} items for labeling (budget {run.Budget}); none flagged OOD by {run.OodScore}");
        string byKind = string.Join(", ", selected.GroupBy(s => truth.TryGetValue(s.Id, out var t) ? t.Kind : FashionMnistPoolItemKind.Corrupt).OrderBy(g => g.Key).Select(g => $"{Describe(g.Key)} {g.Count()}"));
        output.WriteLine($"  truly: {byKind}");
        string byClass = string.Join(", ", selected.GroupBy(s => s.Predicted).OrderBy(g => g.Key).Select(g => $"{ClassName(g.Key)} {g.Count()}"));
        output.WriteLine($"  predicted classes: {byClass}");
        output.WriteLine($"  first: {string.Join(", ", selected.Take(5).Select(s => s.Id))}");

        var unlabeled = scored.Where(s => !s.Item.Labeled).ToList();
        output.WriteLine();
        output.WriteLine($"OOD detection on the {unlabeled.Count} unlabeled items (in-distribution = classes 0-5; OOD = classes 6-9 + noise/blank), AUROC:");
        output.WriteLine($"  {"score",-8} {"near+far",9} {"near",7} {"far",7}");
        foreach ((string name, Func<StoredScore, double> score) in new (string, Func<StoredScore, double>)[]
        {
            ("SISOM", s => s.Sisom), ("SISOMe", s => s.Sisome), ("KNN", s => s.Knn), ("MSP", s => s.Msp), ("Energy", s => s.Energy),
        })
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {name,-8} {Auroc(unlabeled, score, _ => true),9:F3} {Auroc(unlabeled, score, k => k != FashionMnistPoolItemKind.FarOod),7:F3} {Auroc(unlabeled, score, k => k != FashionMnistPoolItemKind.NearOod),7:F3}"));
        }
    }

    private static double Auroc(List<StoredScore> items, Func<StoredScore, double> score, Func<FashionMnistPoolItemKind, bool> include)
    {
        var chosen = items.Where(i => include(i.Item.Kind)).ToList();
        bool[] ood = chosen.Select(i => i.Item.IsOod).ToArray();
        return ood.Contains(true) && ood.Contains(false) ? OodMetrics.Compute(chosen.Select(score).ToArray(), ood).Auroc : double.NaN;
    }

    /// <summary>The item's flag by the run's OOD score (the one its drift and selection use).</summary>
    private static bool FlaggedBy(ItemFlagsResponse flags, string oodScore) => oodScore switch
    {
        OodScoreNames.Sisom => flags.OodSisom,
        OodScoreNames.Sisome => flags.OodSisome,
        OodScoreNames.Knn => flags.OodKnn,
        OodScoreNames.Energy => flags.OodEnergy,
        _ => throw new InvalidOperationException($"The run names an OOD score this CLI does not know: {oodScore}."),
    };

    private sealed record StoredScore(FashionMnistPoolItem Item, double Sisom, double Sisome, double Msp, double Energy, double Knn, bool Flagged);

    private static string Describe(FashionMnistPoolItemKind kind) => kind switch
    {
        FashionMnistPoolItemKind.InDistribution => "in-distribution",
        FashionMnistPoolItemKind.NearOod => "near-OOD",
        FashionMnistPoolItemKind.FarOod => "far-OOD",
        _ => "corrupt",
    };

    private static string ClassName(int label) => label >= 0 && label < FashionMnist.ClassNames.Count ? FashionMnist.ClassNames[label] : label.ToString(CultureInfo.InvariantCulture);

    private void Step(string text) => output.WriteLine($"== {text}");

    private static string Setting(Dictionary<string, string> env, string name) =>
        env.TryGetValue(name, out string? value) && value.Length > 0 ? value
        : Environment.GetEnvironmentVariable(name) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : throw new UsageException($"{name} is not set (export $(deploy/local/services.sh env), or let demo start the services).");

    private void Invoke(params string[] args)
    {
        int code = CliApplication.Run(args, output, error);
        if (code != ExitCodes.Success)
        {
            throw new UsageException($"sisom {args[0]} {args[1]} failed (exit {code}); see above.");
        }
    }
}
