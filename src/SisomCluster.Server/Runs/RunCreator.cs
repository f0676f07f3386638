using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Runs;

/// <summary>
/// Starts a run by writing a pending row with the cluster's shard size and attempt limit — no bus needed
/// (ARCHITECTURE.md §3 step 1). The coordinator launches pending runs.
/// </summary>
public sealed class RunCreator(SisomDbContext db, IOptions<RunOptions> options, TimeProvider time)
{
    public Task<Guid> CreateAsync(RunRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RunRequests.CreateAsync(db, request.Pool, request.Model, request.Budget, request.Quantile, request.StoreEmbeddings, request.ShardSize ?? options.Value.ShardSize, options.Value.MaxAttempts, time.GetUtcNow(), request.OodScore, cancellationToken);
    }
}
