using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Results;
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

    /// <summary>The registry the run's model is checked against (and its manifest read from).</summary>
    public ModelRegistry Models => _models;

    /// <summary>Why <paramref name="model"/> cannot be a run's model (with the known names), or null.</summary>
    public string? ModelProblem(string? model) => _models.Problem(model);

    /// <exception cref="ArgumentException">An unknown model (or a path), a bad budget, quantile or size, an unknown pool, an
    /// <see cref="RunRequest.EmbeddingsFrom"/> run that cannot give its embeddings (message "embeddings_from: ...").</exception>
    public async Task<Guid> CreateAsync(RunRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_models.Problem(request.Model) is { } problem)
        {
            throw new ArgumentException($"model: {problem}", nameof(request));
        }

        Guid? embeddingsFrom = await EmbeddingsSourceAsync(request, cancellationToken).ConfigureAwait(false);
        int shardSize = request.ShardSize ?? options.Value.ShardSizeFor(
            await db.Pools.AsNoTracking().Where(p => p.Name == request.Pool).Select(p => p.SourceKind).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false));
        return await RunRequests.CreateAsync(db, request.Pool, request.Model, request.Budget, request.Quantile, request.StoreEmbeddings, shardSize, options.Value.MaxAttempts, time.GetUtcNow(), request.OodScore, request.Incremental, request.PinLabels, embeddingsFrom, options.Value.CandidateFactor, request.Knn, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The run whose stored embeddings the new run re-scores: the one named (checked: same pool, same model name and version
    /// as the registry has it now, embeddings stored, completed), or for <c>auto</c> the newest such run (none: null). A pool
    /// of stored embeddings needs no backbone pass to begin with, so it reuses nothing.
    /// </summary>
    private async Task<Guid?> EmbeddingsSourceAsync(RunRequest request, CancellationToken cancellationToken)
    {
        if (request.EmbeddingsFrom is not { } from)
        {
            return null;
        }

        bool auto = string.Equals(from, Contracts.Http.StartRunRequest.AutoEmbeddings, StringComparison.Ordinal);
        Guid? named = auto ? null : Guid.TryParse(from, out Guid id) ? id : throw new ArgumentException($"embeddings_from: give a run id or '{Contracts.Http.StartRunRequest.AutoEmbeddings}', got '{from}'.", nameof(request));
        var pool = await db.Pools.AsNoTracking().Where(p => p.Name == request.Pool).Select(p => new { p.Id, p.SourceKind }).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (pool is null)
        {
            // RunRequests names the missing pool.
            return null;
        }

        if (string.Equals(pool.SourceKind, Inference.Pools.EmbeddingsPoolSource.KindName, StringComparison.OrdinalIgnoreCase))
        {
            return auto ? null : throw new ArgumentException($"embeddings_from: pool '{request.Pool}' holds stored embeddings already; no backbone runs on it.", nameof(request));
        }

        // What can be told without the model's files first: a bad request does not wait for the model to be hashed.
        if (named is { } early && await StoredEmbeddings.ProblemAsync(db, early, pool.Id, request.Model, null, cancellationToken).ConfigureAwait(false) is { } earlyProblem)
        {
            throw new ArgumentException(earlyProblem, nameof(request));
        }

        // The version a run of this model gets at launch (SHA-256 of its files): features of another version would not fit.
        // Where this role cannot prepare the model (the chart's api pod: read-only root, no model cache) the source is chosen
        // by pool and model name alone; at launch the worker's StoredEmbeddings.ForAsync compares it with the version the run
        // was launched with and embeds every item when they differ (the run then says it reused none).
        string? version;
        try
        {
            version = _models.Resolve(request.Model).Version;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            version = null;
        }

        if (auto)
        {
            return await StoredEmbeddings.NewestSourceAsync(db, pool.Id, request.Model, version, cancellationToken).ConfigureAwait(false);
        }

        return await StoredEmbeddings.ProblemAsync(db, named!.Value, pool.Id, request.Model, version, cancellationToken).ConfigureAwait(false) is { } problem
            ? throw new ArgumentException(problem, nameof(request))
            : named;
    }
}
