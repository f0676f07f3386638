namespace SisomCluster.Contracts;

/// <summary>Event: a shard used up its attempts and is marked failed; the run completes without it.</summary>
public sealed record ShardFailed
{
    public required Guid RunId { get; init; }

    public required int ShardId { get; init; }

    public required int Attempt { get; init; }

    public required string Reason { get; init; }
}
