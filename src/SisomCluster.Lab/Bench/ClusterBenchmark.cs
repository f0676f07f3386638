using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Cli;
using SisomCluster.Cli.Cluster;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// End-to-end throughput of the cluster against the single-process baseline in the same run.
/// <list type="bullet">
/// <item><c>cluster.images</c>: Fashion-MNIST PNGs in tar shards, scored by coordinator + aggregator + k worker
/// processes on RabbitMQ and PostgreSQL, against <c>sisom offline embed</c> + <c>fit-head</c> + <c>score</c> on
/// the same images (as PNG files) in one process.</item>
/// <item><c>cluster.rescore</c>: synthetic stored embeddings (.npy pool) re-scored against |T| labeled rows, against
/// <c>offline fit-head</c> + <c>offline score</c> on the same arrays.</item>
/// </list>
/// The CLI commands run in this process exactly as a user types them; the servers are real processes.
/// </summary>
public sealed class ClusterBenchmark(ClusterBenchmarkSettings settings, Action<string> progress)
{
    private const int Classes = 6;

    public async Task<IReadOnlyList<ClusterBenchmarkResult>> RunImagesAsync(CancellationToken cancellationToken)
    {
        string root = Directory.CreateDirectory(Path.Combine(settings.WorkDirectory, "images")).FullName;
        progress($"writing {settings.Images} Fashion-MNIST PNGs ({settings.Labeled} labeled) as files and as {settings.Tars} tar shards");
        (string imageDirectory, string poolDirectory, string poolLabels, Dictionary<string, int> labels) = await WriteImagesAsync(root, cancellationToken).ConfigureAwait(false);

        progress("baseline: offline embed + fit-head + score in one process");
        string baseline = Directory.CreateDirectory(Path.Combine(root, "baseline")).FullName;
        var clock = Stopwatch.StartNew();
        Invoke("offline", "embed", "--images", imageDirectory, "--out", Path.Combine(baseline, "all.npy"), "--ids", Path.Combine(baseline, "ids.txt"), "--model-cache", settings.ModelCache);
        string[] ids = await File.ReadAllLinesAsync(Path.Combine(baseline, "ids.txt"), cancellationToken).ConfigureAwait(false);
        WriteReference(Path.Combine(baseline, "all.npy"), ids.Select(id => labels.TryGetValue(Path.GetFileNameWithoutExtension(id), out int l) ? l : -1).ToArray(), baseline);
        FitAndScore(baseline);
        var results = new List<ClusterBenchmarkResult>
        {
            new($"cluster.images.offline.n{settings.Images}", 0, settings.Images, clock.Elapsed.TotalSeconds, null, null, 0, null, null),
        };

        foreach (int workers in settings.Workers)
        {
            progress($"cluster: coordinator + aggregator + {workers} worker(s)");
            ClusterBenchmarkResult run = await RunClusterAsync($"cluster.images.workers{workers}.n{settings.Images}", poolDirectory, poolLabels, workers, settings.Images, cancellationToken).ConfigureAwait(false);
            results.Add(WithOverhead(run, results[0]));
        }

        return results;
    }

    public async Task<IReadOnlyList<ClusterBenchmarkResult>> RunRescoreAsync(CancellationToken cancellationToken)
    {
        string root = Directory.CreateDirectory(Path.Combine(settings.WorkDirectory, "rescore")).FullName;
        progress($"writing {settings.Embeddings} synthetic {settings.Dimension}-d embeddings ({settings.References} labeled)");
        string npy = Path.Combine(root, "pool.npy");
        string poolLabels = Path.Combine(root, "labels.csv");
        SyntheticEmbeddings.Write(npy, poolLabels, Path.Combine(root, "reference.npy"), Path.Combine(root, "reference-labels.txt"), settings.Embeddings, settings.References, settings.Dimension);

        // Without KNN on both sides: offline score --no-knn and a cluster run with knn: false.
        string noKnn = settings.Knn ? string.Empty : ".noknn";
        string shards = settings.ShardSize == ClusterBenchmarkSettings.DefaultShardSize ? string.Empty : $".s{settings.ShardSize}";
        progress($"baseline: offline fit-head + score{(settings.Knn ? string.Empty : " --no-knn")} in one process");
        var clock = Stopwatch.StartNew();
        Invoke("offline", "fit-head", "--embeddings", Path.Combine(root, "reference.npy"), "--labels", Path.Combine(root, "reference-labels.txt"), "--out", Path.Combine(root, "head.json"), "--held-out", "0");
        string[] score = ["offline", "score", "--reference", Path.Combine(root, "reference.npy"), "--reference-labels", Path.Combine(root, "reference-labels.txt"), "--head", Path.Combine(root, "head.json"), "--queries", npy, "--out", Path.Combine(root, "scores.csv")];
        Invoke(settings.Knn ? score : [.. score, "--no-knn"]);
        var results = new List<ClusterBenchmarkResult>
        {
            new($"cluster.rescore.offline{noKnn}.n{settings.Embeddings}.t{settings.References}", 0, settings.Embeddings, clock.Elapsed.TotalSeconds, null, null, 0, null, null),
        };

        (string Source, string LabelsCsv)? warmUp = null;
        string warm = string.Empty;
        if (settings.WarmUp)
        {
            string warmRoot = Directory.CreateDirectory(Path.Combine(root, "warm-up")).FullName;
            string warmNpy = Path.Combine(warmRoot, "pool.npy");
            string warmLabels = Path.Combine(warmRoot, "labels.csv");
            SyntheticEmbeddings.Write(warmNpy, warmLabels, Path.Combine(warmRoot, "reference.npy"), Path.Combine(warmRoot, "reference-labels.txt"), ClusterBenchmarkSettings.WarmUpRows, ClusterBenchmarkSettings.WarmUpReferences, settings.Dimension);
            warmUp = (warmNpy, warmLabels);
            warm = ".warm";
        }

        foreach (int workers in settings.Workers)
        {
            progress($"cluster: coordinator + aggregator + {workers} worker(s) over the .npy pool{(settings.Knn ? string.Empty : ", knn: false")}{(settings.WarmUp ? ", after a warm-up run" : string.Empty)}");
            ClusterBenchmarkResult run = await RunClusterAsync($"cluster.rescore.workers{workers}{noKnn}{warm}{shards}.n{settings.Embeddings}.t{settings.References}", npy, poolLabels, workers, settings.Embeddings, cancellationToken, warmUp).ConfigureAwait(false);
            results.Add(WithOverhead(run, results[0]));
        }

        return results;
    }

    private static ClusterBenchmarkResult WithOverhead(ClusterBenchmarkResult run, ClusterBenchmarkResult baseline) =>
        run with { Overhead = (run.Seconds / baseline.Seconds) - 1, ScoringOverhead = run.ScoringSeconds / baseline.Seconds - 1 };

    /// <param name="warmUp">A small pool the cluster scores first, unmeasured (<see cref="ClusterBenchmarkSettings.WarmUp"/>); null: none.</param>
    private async Task<ClusterBenchmarkResult> RunClusterAsync(string id, string source, string labelsCsv, int workers, long items, CancellationToken cancellationToken, (string Source, string LabelsCsv)? warmUp = null)
    {
        await using BenchDatabase database = await BenchDatabase.CreateAsync(settings.Connection, cancellationToken).ConfigureAwait(false);
        string pool = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var register = Stopwatch.StartNew();
        await BenchPool.RegisterAsync(database, pool, source, labelsCsv, cancellationToken).ConfigureAwait(false);
        progress(string.Create(CultureInfo.InvariantCulture, $"  pool registered and labels imported in {register.Elapsed.TotalSeconds:F1} s"));

        int cores = Environment.ProcessorCount;
        string threads = Math.Max(1, cores / workers).ToString(CultureInfo.InvariantCulture);
        var common = new Dictionary<string, string>
        {
            ["ConnectionStrings__Sisom"] = database.ConnectionString,
            ["ConnectionStrings__RabbitMq"] = settings.RabbitMq,
            ["Server__QueuePrefix"] = pool,
            ["Worker__ModelCache"] = settings.ModelCache,
            ["Worker__IntraOpThreads"] = threads,
            ["Worker__DecodeThreads"] = threads,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__UseUtcTimestamp"] = "true",
        };
        string logs = Path.Combine(settings.WorkDirectory, "logs", pool);
        var servers = new List<ServerProcess>();
        try
        {
            TimeSpan startTimeout = TimeSpan.FromMinutes(2);
            // The reference phase (the aggregator embedding the labeled items) runs before any shard, while the workers wait:
            // it gets every core, not a worker's share.
            var aggregator = new Dictionary<string, string>(common)
            {
                ["Worker__IntraOpThreads"] = cores.ToString(CultureInfo.InvariantCulture),
                ["Worker__DecodeThreads"] = cores.ToString(CultureInfo.InvariantCulture),
            };
            servers.Add(await ServerProcess.StartAsync(settings.ServerPath, "coordinator,aggregator", aggregator, logs, startTimeout, cancellationToken).ConfigureAwait(false));
            ServerProcess[] started = await Task.WhenAll(Enumerable.Range(0, workers)
                .Select(_ => ServerProcess.StartAsync(settings.ServerPath, "worker", common, logs, startTimeout, cancellationToken))).ConfigureAwait(false);
            servers.AddRange(started);

            async Task<Guid> RequestAsync(string poolName)
            {
                await using var db = database.CreateDbContext();
                return await RunRequests.CreateAsync(db, poolName, "resnet18", budget: 100, quantile: 0.95, storeEmbeddings: false, shardSize: settings.ShardSize, maxAttempts: 3, DateTimeOffset.UtcNow, oodScore: settings.Knn ? Core.Scoring.OodScores.Default : Core.Scoring.OodScores.Sisom, knn: settings.Knn, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            if (warmUp is { } warm)
            {
                // A pool of its own: its labels give it its own scoring context, so the measured run builds its context as
                // the baseline does instead of finding one stored.
                string warmPool = pool + "-warm";
                await BenchPool.RegisterAsync(database, warmPool, warm.Source, warm.LabelsCsv, cancellationToken).ConfigureAwait(false);
                var warming = Stopwatch.StartNew();
                await WaitAsync(database, await RequestAsync(warmPool).ConfigureAwait(false), servers, cancellationToken).ConfigureAwait(false);
                progress(string.Create(CultureInfo.InvariantCulture, $"  warm-up run ({ClusterBenchmarkSettings.WarmUpRows} rows, |T| = {ClusterBenchmarkSettings.WarmUpReferences}, a pool of its own) in {warming.Elapsed.TotalSeconds:F1} s"));
            }

            Guid runId = await RequestAsync(pool).ConfigureAwait(false);
            Run run = await WaitAsync(database, runId, servers, cancellationToken).ConfigureAwait(false);
            long rows = await database.ScalarAsync("SELECT (SELECT count(*) FROM item_scores WHERE run_id = $1) + (SELECT count(*) FROM item_errors WHERE run_id = $1)", runId, cancellationToken).ConfigureAwait(false);
            if (rows != items)
            {
                throw new InvalidOperationException($"{id}: the run wrote {rows} score/error rows for {items} items.");
            }

            double total = (run.CompletedAt!.Value - run.CreatedAt).TotalSeconds;
            double reference = (run.StartedAt!.Value - run.CreatedAt).TotalSeconds;
            progress(string.Create(CultureInfo.InvariantCulture, $"  {items} items in {total:F1} s (context {reference:F1} s, scoring {total - reference:F1} s)"));
            return new ClusterBenchmarkResult(id, workers, items, total, reference, total - reference, rows, null, null);
        }
        finally
        {
            foreach (ServerProcess server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<Run> WaitAsync(BenchDatabase database, Guid runId, List<ServerProcess> servers, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < settings.RunTimeout)
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            await using var db = database.CreateDbContext();
            Run run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false);
            if (run.State == RunState.Completed)
            {
                return run;
            }

            if (run.State == RunState.Failed)
            {
                throw new InvalidOperationException($"run {runId} failed: {run.Error}\n{string.Join('\n', servers.Select(s => s.Tail()))}");
            }
        }

        throw new TimeoutException($"run {runId} did not complete within {settings.RunTimeout}; logs in {Path.GetDirectoryName(servers[0].LogPath)}");
    }

    private async Task<(string Images, string Pool, string LabelsCsv, Dictionary<string, int> Labels)> WriteImagesAsync(string root, CancellationToken cancellationToken)
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: settings.Images);
        if (data.Count < settings.Images)
        {
            throw new UsageException($"--images {settings.Images}: Fashion-MNIST has only {data.Count} training images here.");
        }

        string images = Directory.CreateDirectory(Path.Combine(root, "png")).FullName;
        string pool = Directory.CreateDirectory(Path.Combine(root, "pool")).FullName;
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var poolLines = new List<string>();
        int perTar = (settings.Images + settings.Tars - 1) / settings.Tars;
        for (int t = 0; t * perTar < settings.Images; t++)
        {
            string tarName = $"shard-{t:D2}";
            FileStream stream = File.Create(Path.Combine(pool, tarName + ".tar"));
            await using (stream.ConfigureAwait(false))
            {
                var writer = new TarWriter(stream);
                await using (writer.ConfigureAwait(false))
                {
                    for (int i = t * perTar; i < Math.Min(settings.Images, (t + 1) * perTar); i++)
                    {
                        string key = string.Create(CultureInfo.InvariantCulture, $"img-{i:D6}");
                        byte[] png = data.EncodePng(i);
                        await File.WriteAllBytesAsync(Path.Combine(images, key + ".png"), png, cancellationToken).ConfigureAwait(false);
                        await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, key + ".png") { DataStream = new MemoryStream(png) }, cancellationToken).ConfigureAwait(false);
                        if (labels.Count < settings.Labeled && data.Labels[i] < Classes)
                        {
                            labels[key] = data.Labels[i];
                            poolLines.Add(string.Create(CultureInfo.InvariantCulture, $"{tarName}/{key},{data.Labels[i]}"));
                        }
                    }
                }
            }
        }

        string labelsCsv = Path.Combine(root, "labels.csv");
        await File.WriteAllLinesAsync(labelsCsv, poolLines, cancellationToken).ConfigureAwait(false);
        return (images, pool, labelsCsv, labels);
    }

    /// <summary>Rows of <paramref name="npy"/> whose label is not -1 → reference.npy + reference-labels.txt (what a user does between embed and score).</summary>
    private static void WriteReference(string npy, int[] labelOfRow, string directory)
    {
        NpyArray all = NpyFile.Read(npy);
        float[] values = all.ToSingle();
        int d = all.Shape[1];
        using var writer = new NpyRowWriter(Path.Combine(directory, "reference.npy"), d);
        var lines = new List<string>();
        for (int row = 0; row < labelOfRow.Length; row++)
        {
            if (labelOfRow[row] >= 0)
            {
                writer.Append(values.AsSpan(row * d, d));
                lines.Add(labelOfRow[row].ToString(CultureInfo.InvariantCulture));
            }
        }

        writer.Commit();
        File.WriteAllLines(Path.Combine(directory, "reference-labels.txt"), lines);
    }

    private static void FitAndScore(string directory)
    {
        string reference = Path.Combine(directory, "reference.npy");
        string labels = Path.Combine(directory, "reference-labels.txt");
        string head = Path.Combine(directory, "head.json");
        Invoke("offline", "fit-head", "--embeddings", reference, "--labels", labels, "--out", head, "--held-out", "0");
        Invoke("offline", "score", "--reference", reference, "--reference-labels", labels, "--head", head, "--queries", Path.Combine(directory, "all.npy"), "--out", Path.Combine(directory, "scores.csv"));
    }

    private static void Invoke(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApplication.Run(args, output, error);
        if (code != ExitCodes.Success)
        {
            throw new InvalidOperationException($"sisom {string.Join(' ', args)} exited {code}: {error}");
        }
    }
}
