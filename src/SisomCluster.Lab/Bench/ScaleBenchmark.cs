using System.Diagnostics;
using System.Globalization;
using Npgsql;
using SisomCluster.Cli.Cluster;
using SisomCluster.Contracts.Http;
using SisomCluster.Data.Results;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// <c>sisom bench scale</c> (issue 13 point 5, docs/SCALING.md): re-score runs of synthetic stored embeddings (.npy pool)
/// at growing pool sizes through the whole cluster — api + coordinator + aggregator in one process, N worker processes —
/// measuring what grows with the pool: wall time and items/s, finalisation time (last shard done → run completed),
/// database bytes per item (scores only; optionally with stored <c>vector</c> embeddings and what <c>halfvec</c> would
/// take), and the p50/p95 latency of the calls a user and the dashboard make, during the run and after it. The run is
/// started and watched through the REST API as a user does; only the pool registration goes through the Data layer (as
/// in <c>bench rescore</c>) so that 10⁷ ids need not travel through a CLI.
/// </summary>
public sealed class ScaleBenchmark(ScaleBenchmarkSettings settings, Action<string> progress)
{
    public async Task<ScaleBenchmarkReport> RunAsync(CancellationToken cancellationToken)
    {
        var results = new List<ScaleRunResult>();
        EmbeddingStorageResult? storage = null;
        foreach (int size in settings.Sizes)
        {
            string root = Directory.CreateDirectory(Path.Combine(settings.WorkDirectory, string.Create(CultureInfo.InvariantCulture, $"n{size}"))).FullName;
            string npy = Path.Combine(root, "pool.npy");
            string labels = Path.Combine(root, "labels.csv");
            var writing = Stopwatch.StartNew();
            if (!File.Exists(npy) || !File.Exists(labels))
            {
                progress($"writing {size:N0} synthetic {settings.Dimension}-d embeddings ({settings.References} labeled) to {npy}");
                SyntheticEmbeddings.Write(npy, labels, Path.Combine(root, "reference.npy"), Path.Combine(root, "reference-labels.txt"), size, settings.References, settings.Dimension);
                progress(string.Create(CultureInfo.InvariantCulture, $"  written in {writing.Elapsed.TotalSeconds:F0} s ({new FileInfo(npy).Length / 1e9:F2} GB)"));
            }

            await using BenchDatabase database = await BenchDatabase.CreateAsync(settings.Connection, cancellationToken).ConfigureAwait(false);
            string pool = "scale-" + Guid.NewGuid().ToString("N")[..8];
            var register = Stopwatch.StartNew();
            await BenchPool.RegisterAsync(database, pool, npy, labels, cancellationToken).ConfigureAwait(false);
            double registerSeconds = register.Elapsed.TotalSeconds;
            progress(string.Create(CultureInfo.InvariantCulture, $"  pool of {size:N0} registered and labels imported in {registerSeconds:F1} s"));

            await using Cluster cluster = await Cluster.StartAsync(settings, database, pool, cancellationToken).ConfigureAwait(false);
            ScaleRunResult result = await ScoreAsync(cluster, database, pool, size, storeEmbeddings: false, cancellationToken).ConfigureAwait(false);
            results.Add(result with { RegisterSeconds = registerSeconds });
            progress(string.Create(CultureInfo.InvariantCulture, $"  {result.Items:N0} items in {result.Seconds:F1} s ({result.ItemsPerSecond:F0} items/s), finalisation {result.FinalizeSeconds:F2} s, {result.ScoreBytesPerItem:F0} B/item of scores"));

            if (storage is null && settings.EmbeddingsRun && size == settings.Sizes.Min())
            {
                progress($"  a second run on the same pool with stored embeddings (vector({settings.Dimension}))");
                ScaleRunResult stored = await ScoreAsync(cluster, database, pool, size, storeEmbeddings: true, cancellationToken).ConfigureAwait(false);
                storage = await EmbeddingStorageAsync(database, stored, cancellationToken).ConfigureAwait(false);
                progress(string.Create(CultureInfo.InvariantCulture, $"  with vector: {storage.VectorBytesPerItem:F0} B/item; halfvec would take {storage.HalfvecBytesPerItem:F0} B/item"));
            }
        }

        return new ScaleBenchmarkReport(Environment.ProcessorCount, settings.References, settings.Dimension, settings.Workers, settings.ShardSize, results, storage);
    }

    private async Task<ScaleRunResult> ScoreAsync(Cluster cluster, BenchDatabase database, string pool, int size, bool storeEmbeddings, CancellationToken cancellationToken)
    {
        SisomApiClient client = cluster.Client;
        RunResponse started = await client.StartRunAsync(new StartRunRequest(pool, StartRunRequest.DefaultModel, settings.Budget, 0.95, storeEmbeddings, settings.ShardSize), cancellationToken).ConfigureAwait(false);
        var during = new LatencyProbe();
        var clock = Stopwatch.StartNew();
        RunResponse run = started;
        while (!run.IsFinished)
        {
            if (clock.Elapsed > settings.RunTimeout)
            {
                throw new TimeoutException($"run {run.Id} did not complete within {settings.RunTimeout}; logs: {cluster.Logs}\n{cluster.Tails()}");
            }

            await Task.Delay(settings.ProbeInterval, cancellationToken).ConfigureAwait(false);
            run = await during.TimeAsync("run status", () => client.GetRunAsync(started.Id, cancellationToken)).ConfigureAwait(false);
            if (run.State == RunStates.Running)
            {
                await ProbeAsync(client, run.Id, during, cancellationToken).ConfigureAwait(false);
            }
        }

        if (run.State != RunStates.Completed)
        {
            throw new InvalidOperationException($"run {run.Id} {run.State}: {run.Error}\n{cluster.Tails()}");
        }

        var after = new LatencyProbe();
        for (int i = 0; i < settings.CallsAfter; i++)
        {
            await after.TimeAsync("run status", () => client.GetRunAsync(run.Id, cancellationToken)).ConfigureAwait(false);
            await ProbeAsync(client, run.Id, after, cancellationToken).ConfigureAwait(false);
        }

        string partition = ItemScorePartitions.Name(run.Id);
        await using NpgsqlConnection connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var measure = new NpgsqlCommand(
            $"""
            SELECT (SELECT count(*) FROM "{partition}") + (SELECT count(*) FROM item_errors WHERE run_id = $1),
                   extract(epoch FROM r.completed_at - r.created_at)::float8,
                   extract(epoch FROM r.started_at - r.created_at)::float8,
                   extract(epoch FROM r.completed_at - (SELECT max(finished_at) FROM shards WHERE run_id = $1))::float8,
                   (SELECT count(*) FROM shards WHERE run_id = $1),
                   pg_total_relation_size('"{partition}"'::regclass),
                   pg_total_relation_size('items'::regclass),
                   (SELECT count(*) FROM items)
            FROM runs r WHERE r.id = $1
            """,
            connection);
        measure.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = run.Id });
        await using NpgsqlDataReader reader = await measure.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        long rows = reader.GetInt64(0);
        if (rows != size)
        {
            throw new InvalidOperationException($"run {run.Id} wrote {rows} score/error rows for {size} items.");
        }

        return new ScaleRunResult(
            Id: string.Create(CultureInfo.InvariantCulture, $"scale.n{size}.t{settings.References}{(storeEmbeddings ? ".vector" : "")}"),
            RunId: run.Id,
            Items: size,
            StoreEmbeddings: storeEmbeddings,
            RegisterSeconds: 0,
            Seconds: reader.GetDouble(1),
            ContextSeconds: reader.GetDouble(2),
            FinalizeSeconds: reader.GetDouble(3),
            Shards: reader.GetInt64(4),
            ScoreBytes: reader.GetInt64(5),
            ItemBytes: reader.GetInt64(6),
            PoolItems: reader.GetInt64(7),
            During: during.Summary(),
            After: after.Summary());
    }

    /// <summary>
    /// The stored-embeddings run's partition: what a <c>vector</c> costs per item as stored (TOAST included), and what
    /// the same values take as <c>halfvec</c> (cast and measured value by value, not computed from the width).
    /// </summary>
    private static async Task<EmbeddingStorageResult> EmbeddingStorageAsync(BenchDatabase database, ScaleRunResult stored, CancellationToken cancellationToken)
    {
        string partition = ItemScorePartitions.Name(stored.RunId);
        await using NpgsqlCommand command = database.DataSource.CreateCommand(
            $"""SELECT count(*), coalesce(sum(pg_column_size(embedding)), 0), coalesce(sum(pg_column_size(embedding::halfvec)), 0) FROM "{partition}" WHERE embedding IS NOT NULL""");
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        long rows = reader.GetInt64(0);
        long vectorValues = reader.GetInt64(1);
        long halfvecValues = reader.GetInt64(2);
        double vectorPerItem = (double)stored.ScoreBytes / stored.Items;
        double halfvecPerItem = vectorPerItem - ((double)(vectorValues - halfvecValues) / Math.Max(1, rows));
        return new EmbeddingStorageResult(stored.Items, rows, stored.ScoreBytes, vectorPerItem, (double)vectorValues / Math.Max(1, rows), (double)halfvecValues / Math.Max(1, rows), halfvecPerItem, stored.Seconds);
    }

    /// <summary>What a user and the dashboard ask while the run goes on and after it: the dashboard's run view loads all of these.</summary>
    private static async Task ProbeAsync(SisomApiClient client, Guid run, LatencyProbe probe, CancellationToken cancellationToken)
    {
        await probe.TimeAsync("selection", async () => await Drain(client.SelectionAsync(run, cancellationToken)).ConfigureAwait(false)).ConfigureAwait(false);
        await probe.TimeAsync("drift (hour + source)", async () =>
        {
            await Drain(client.DriftAsync(run, "hour", cancellationToken)).ConfigureAwait(false);
            return await Drain(client.DriftAsync(run, "source", cancellationToken)).ConfigureAwait(false);
        }).ConfigureAwait(false);
        await probe.TimeAsync("histograms", () => client.HistogramsAsync(run, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await probe.TimeAsync("thresholds", () => client.ThresholdsAsync(run, cancellationToken)).ConfigureAwait(false);
        await probe.TimeAsync("run list", () => client.ListRunsAsync(cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<int> Drain<T>(IAsyncEnumerable<T> items)
    {
        int count = 0;
        await foreach (T _ in items.ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    /// <summary>The servers of one pool size: api + coordinator + aggregator in one process, N workers, a write key.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly List<ServerProcess> _servers;

        private Cluster(List<ServerProcess> servers, SisomApiClient client, string logs)
        {
            _servers = servers;
            Client = client;
            Logs = logs;
        }

        public SisomApiClient Client { get; }

        public string Logs { get; }

        public static async Task<Cluster> StartAsync(ScaleBenchmarkSettings settings, BenchDatabase database, string pool, CancellationToken cancellationToken)
        {
            var admin = new Dictionary<string, string> { ["ConnectionStrings__Sisom"] = database.ConnectionString };
            string key = (await ServerProcess.RunAdminAsync(settings.ServerPath, ["apikey", "create", "--name", pool, "--scope", "write"], admin, cancellationToken).ConfigureAwait(false)).Trim();
            int cores = Environment.ProcessorCount;
            string threads = Math.Max(1, cores / settings.Workers).ToString(CultureInfo.InvariantCulture);
            var common = new Dictionary<string, string>
            {
                ["ConnectionStrings__Sisom"] = database.ConnectionString,
                ["ConnectionStrings__RabbitMq"] = settings.RabbitMq,
                ["Server__QueuePrefix"] = pool,
                ["Worker__IntraOpThreads"] = threads,
                ["Worker__DecodeThreads"] = threads,
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            };
            string logs = Path.Combine(settings.WorkDirectory, "logs", pool);
            var servers = new List<ServerProcess>();
            try
            {
                TimeSpan startTimeout = TimeSpan.FromMinutes(2);
                servers.Add(await ServerProcess.StartAsync(settings.ServerPath, "api,coordinator,aggregator", common, logs, startTimeout, cancellationToken).ConfigureAwait(false));
                servers.AddRange(await Task.WhenAll(Enumerable.Range(0, settings.Workers)
                    .Select(_ => ServerProcess.StartAsync(settings.ServerPath, "worker", common, logs, startTimeout, cancellationToken))).ConfigureAwait(false));
                var client = new SisomApiClient(new Uri(servers[0].Url ?? throw new InvalidOperationException("the api process reported no URL.")), key);
                return new Cluster(servers, client, logs);
            }
            catch
            {
                foreach (ServerProcess server in servers)
                {
                    await server.DisposeAsync().ConfigureAwait(false);
                }

                throw;
            }
        }

        public string Tails() => string.Join('\n', _servers.Select(s => $"== {s.LogPath}\n{s.Tail()}"));

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            foreach (ServerProcess server in _servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Wall-clock latencies of API calls by name; a failed call is counted, not timed.</summary>
    private sealed class LatencyProbe
    {
        private readonly Dictionary<string, List<double>> _milliseconds = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);

        public async Task<T> TimeAsync<T>(string call, Func<Task<T>> action)
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                T value = await action().ConfigureAwait(false);
                if (!_milliseconds.TryGetValue(call, out List<double>? list))
                {
                    _milliseconds[call] = list = [];
                }

                list.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                return value;
            }
            catch (SisomApiException)
            {
                _failures[call] = _failures.GetValueOrDefault(call) + 1;
                return default!;
            }
        }

        public IReadOnlyList<LatencySummary> Summary() =>
            [.. _milliseconds.Keys.Union(_failures.Keys).Order(StringComparer.Ordinal).Select(call =>
            {
                double[] sorted = [.. _milliseconds.GetValueOrDefault(call, []).Order()];
                return new LatencySummary(call, sorted.Length, _failures.GetValueOrDefault(call), Quantile(sorted, 0.5), Quantile(sorted, 0.95), sorted.Length == 0 ? double.NaN : sorted[^1]);
            })];

        private static double Quantile(double[] sorted, double q) =>
            sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>What <see cref="ScaleBenchmark"/> runs.</summary>
public sealed record ScaleBenchmarkSettings
{
    public required string Connection { get; init; }

    public required string RabbitMq { get; init; }

    public required string ServerPath { get; init; }

    public required string WorkDirectory { get; init; }

    /// <summary>Pool sizes, one cluster run each (a fresh schema per size).</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [1_000_000];

    public int References { get; init; } = 1_000;

    public int Dimension { get; init; } = 512;

    public int Workers { get; init; } = 1;

    public int ShardSize { get; init; } = 10_000;

    public int Budget { get; init; } = 1_000;

    /// <summary>Also a stored-embeddings run at the smallest size, for bytes per item with <c>vector</c> and <c>halfvec</c>.</summary>
    public bool EmbeddingsRun { get; init; }

    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(2);

    public int CallsAfter { get; init; } = 20;

    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromHours(3);
}

public sealed record LatencySummary(string Call, int Calls, int Failures, double P50Ms, double P95Ms, double MaxMs);

public sealed record ScaleRunResult(
    string Id,
    Guid RunId,
    long Items,
    bool StoreEmbeddings,
    double RegisterSeconds,
    double Seconds,
    double ContextSeconds,
    double FinalizeSeconds,
    long Shards,
    long ScoreBytes,
    long ItemBytes,
    long PoolItems,
    IReadOnlyList<LatencySummary> During,
    IReadOnlyList<LatencySummary> After)
{
    public double ItemsPerSecond => Items / Seconds;

    /// <summary>The run's item_scores partition (table, TOAST and indexes) per scored item.</summary>
    public double ScoreBytesPerItem => (double)ScoreBytes / Items;

    /// <summary>The pool's items table (ids, uris, sources; table and indexes) per item.</summary>
    public double ItemBytesPerItem => (double)ItemBytes / Math.Max(1, PoolItems);
}

public sealed record EmbeddingStorageResult(
    long Items,
    long Embeddings,
    long PartitionBytes,
    double VectorBytesPerItem,
    double VectorValueBytes,
    double HalfvecValueBytes,
    double HalfvecBytesPerItem,
    double Seconds);

public sealed record ScaleBenchmarkReport(int Cores, int References, int Dimension, int Workers, int ShardSize, IReadOnlyList<ScaleRunResult> Runs, EmbeddingStorageResult? Storage);
