using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Server.Models;

namespace SisomCluster.Server.Runs;

/// <summary>
/// Starts a run by writing a pending row with the cluster's shard size and attempt limit — no bus needed
/// (ARCHITECTURE.md §3 step 1). The coordinator launches pending runs. The model is a name from the
/// <see cref="ModelRegistry"/>, never a path.
/// </summary>
/// <param name="models">The registry; without one (a test's own creator), the built-in <c>resnet18</c> only.</param>
public sealed class RunCreator(SisomDbContext db, IOptions<RunOptions> options, TimeProvider time, ModelRegistry? models = null)
{
    private readonly ModelRegistry _models = models ?? new ModelRegistry(Options.Create(new ModelDirectoryOptions()), Options.Create(new ModelOptions()));

    /// <summary>Why <paramref name="model"/> cannot be a run's model (with the known names), or null.</summary>
    public string? ModelProblem(string? model) => _models.Problem(model);

    /// <exception cref="ArgumentException">An unknown model (or a path), a bad budget, quantile or size, an unknown pool.</exception>
    public Task<Guid> CreateAsync(RunRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_models.Problem(request.Model) is { } problem)
        {
            throw new ArgumentException($"model: {problem}", nameof(request));
        }

        return RunRequests.CreateAsync(db, request.Pool, request.Model, request.Budget, request.Quantile, request.StoreEmbeddings, request.ShardSize ?? options.Value.ShardSize, options.Value.MaxAttempts, time.GetUtcNow(), request.OodScore, request.Incremental, request.Knn, cancellationToken);
    }
}
