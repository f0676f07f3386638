using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Api.Runs;

internal sealed record RunResponse(
    Guid Id,
    Guid PoolId,
    string? Pool,
    string Model,
    string ModelVersion,
    string State,
    int Budget,
    double Quantile,
    bool StoreEmbeddings,
    int ShardSize,
    int MaxAttempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Error,
    RunProgressResponse? Progress)
{
    public static RunResponse From(Run run, string? pool, RunProgress? progress) => new(
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
        progress is null ? null : RunProgressResponse.From(progress));
}
