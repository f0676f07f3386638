namespace SisomCluster.Lab.Bench;

/// <summary>What <see cref="ClusterBenchmark"/> runs and where.</summary>
public sealed record ClusterBenchmarkSettings
{
    /// <summary>PostgreSQL; each cluster figure migrates a schema of its own and drops it.</summary>
    public required string Connection { get; init; }

    public required string RabbitMq { get; init; }

    public required string ServerPath { get; init; }

    public required string ModelCache { get; init; }

    /// <summary>Where pools, baseline files and server logs go.</summary>
    public required string WorkDirectory { get; init; }

    public IReadOnlyList<int> Workers { get; init; } = [1, 2];

    public int Images { get; init; } = 2000;

    public int Labeled { get; init; } = 300;

    public int Tars { get; init; } = 8;

    public int Embeddings { get; init; } = 1_000_000;

    public int References { get; init; } = 10_000;

    public int Dimension { get; init; } = 512;

    /// <summary>
    /// Whether the re-scoring figures compute the KNN baseline: false runs <c>offline score --no-knn</c> and the cluster run
    /// with <c>knn: false</c> (OOD by sisom), so the comparison stays like for like.
    /// </summary>
    public bool Knn { get; init; } = true;

    /// <summary>Items per shard of the re-scoring cluster runs (the run request's <c>shard_size</c>).</summary>
    public int ShardSize { get; init; } = DefaultShardSize;

    /// <summary>
    /// The server's default for pools of stored embeddings (<c>Coordinator__EmbeddingShardSize</c>); result ids carry
    /// <c>.s&lt;size&gt;</c> for any other. Until 2026-12-07 the benchmark (and the server) used 4 096: older figures without
    /// the suffix are shards of 4 096.
    /// </summary>
    public const int DefaultShardSize = Contracts.Http.StartRunRequest.DefaultEmbeddingShardSize;

    /// <summary>
    /// Whether each cluster figure's processes first score a small pool of their own (<see cref="WarmUpRows"/> rows,
    /// <see cref="WarmUpReferences"/> labeled, its own scoring context), so that the measured run meets processes that have
    /// run before, as a long-running service's do: without it the figure also carries each process's first-use costs
    /// (JIT compilation, EF Core's model and query compilation), which a running cluster paid once, long ago.
    /// </summary>
    public bool WarmUp { get; init; }

    public const int WarmUpRows = 20_000;

    public const int WarmUpReferences = 500;

    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromMinutes(60);
}
