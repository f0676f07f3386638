using Microsoft.EntityFrameworkCore;

namespace SisomCluster.Data.Runs;

/// <summary>
/// A run is requested by writing a pending <c>runs</c> row; the coordinator launches it. The CLI and the
/// API need no message bus for that.
/// </summary>
public static class RunRequests
{
    /// <summary>The <see cref="Run.Options"/> of an incremental run.</summary>
    public const string IncrementalOptions = "{\"incremental\":true}";

    /// <summary>
    /// Whether <paramref name="run"/> scores only the items no earlier completed run of its pool scored for the same model
    /// and reference version (<see cref="Results.EarlierScores"/>); kept in <see cref="Run.Options"/> (no column of its own).
    /// </summary>
    public static bool IsIncremental(Run run)
    {
        ArgumentNullException.ThrowIfNull(run);
        try
        {
            using var options = System.Text.Json.JsonDocument.Parse(run.Options);
            return options.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && options.RootElement.TryGetProperty("incremental", out System.Text.Json.JsonElement value)
                && value.ValueKind == System.Text.Json.JsonValueKind.True;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    public static async Task<Guid> CreateAsync(
        SisomDbContext db,
        string poolName,
        string model,
        int budget,
        double quantile,
        bool storeEmbeddings,
        int shardSize,
        int maxAttempts,
        DateTimeOffset now,
        string oodScore = Core.Scoring.OodScores.Default,
        bool incremental = false,
        bool knn = true,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentException.ThrowIfNullOrEmpty(model);
        if (budget < 1)
        {
            throw new ArgumentException($"The selection budget must be >= 1, got {budget}.", nameof(budget));
        }

        if (!(quantile > 0 && quantile <= 1))
        {
            throw new ArgumentException($"The quantile must lie in (0, 1], got {quantile}.", nameof(quantile));
        }

        if (!Core.Scoring.OodScores.IsKnown(oodScore))
        {
            throw new ArgumentException($"The OOD score must be one of {string.Join(", ", Core.Scoring.OodScores.All)}, got '{oodScore}'.", nameof(oodScore));
        }

        if (!knn && oodScore == Core.Scoring.OodScores.Knn)
        {
            throw new ArgumentException("The OOD score 'knn' needs the KNN baseline, which a run without KNN does not compute.", nameof(oodScore));
        }

        if (shardSize < 1 || maxAttempts < 1)
        {
            throw new ArgumentException($"Shard size and attempts must be >= 1, got {shardSize} and {maxAttempts}.", nameof(shardSize));
        }

        Guid poolId = await db.Pools.Where(p => p.Name == poolName).Select(p => p.Id).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (poolId == Guid.Empty)
        {
            throw new ArgumentException($"No pool named '{poolName}'.", nameof(poolName));
        }

        var run = new Run
        {
            Id = Guid.NewGuid(),
            PoolId = poolId,
            ModelName = model,
            ModelVersion = "pending",
            State = RunState.Pending,
            ShardSize = shardSize,
            MaxAttempts = maxAttempts,
            Quantile = quantile,
            StoreEmbeddings = storeEmbeddings,
            OodScore = oodScore,
            Knn = knn,
            Budget = budget,
            Options = incremental ? IncrementalOptions : "{}",
            CreatedAt = now,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return run.Id;
    }
}
