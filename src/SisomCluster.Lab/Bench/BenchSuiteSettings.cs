namespace SisomCluster.Lab.Bench;

/// <summary>Sizes and services of <see cref="BenchSuite"/>; a null connection or broker skips the figures that need it.</summary>
public sealed record BenchSuiteSettings
{
    public required string ModelCache { get; init; }

    public required string WorkDirectory { get; init; }

    public string? Connection { get; init; }

    public string? RabbitMq { get; init; }

    public string? ServerPath { get; init; }

    public int Images { get; init; } = 128;

    public int CopyRows { get; init; } = 50_000;

    /// <summary>Rows of the re-scoring-shaped commit figure (shards of 4 096, 1 and 2 writers, vs the previous path).</summary>
    public int RescoreCopyRows { get; init; } = 200_000;

    public int ClusterImages { get; init; } = 400;

    public int RescoreEmbeddings { get; init; } = 200_000;

    public int RescoreReferences { get; init; } = 5_000;
}
