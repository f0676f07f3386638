using SisomCluster.Contracts.Http;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Api.Runs;

/// <summary>Run rows as the API serves them.</summary>
internal static class RunMapping
{
    public static RunResponse ToResponse(Run run, string? pool, RunProgress? progress) => new(
        run.Id,
        run.PoolId,
        pool,
        run.ModelName,
        run.ModelVersion,
        run.State.ToString().ToLowerInvariant(),
        run.Budget,
        run.Quantile,
        run.StoreEmbeddings,
        run.ShardSize,
        run.MaxAttempts,
        run.CreatedAt,
        run.StartedAt,
        run.CompletedAt,
        run.Error,
        progress is null ? null : ToResponse(progress),
        run.OodScore);

    public static RunProgressResponse ToResponse(RunProgress p) =>
        new(p.TotalShards, p.PendingShards, p.LeasedShards, p.DoneShards, p.FailedShards, p.Items, p.ItemsScored, p.ItemsFailed, p.ItemsInFailedShards);
}
