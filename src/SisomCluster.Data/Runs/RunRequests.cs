using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace SisomCluster.Data.Runs;

/// <summary>
/// A run is requested by writing a pending <c>runs</c> row; the coordinator launches it. The CLI and the
/// API need no message bus for that.
/// </summary>
public static class RunRequests
{
    /// <summary>The <see cref="Run.Options"/> of an incremental run.</summary>
    public const string IncrementalOptions = "{\"incremental\":true}";

    /// <summary>The <see cref="Run.Options"/> key of <see cref="PinnedLabelImports"/>.</summary>
    public const string LabelImportsOption = "label_imports";

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

    /// <summary>
    /// The label imports a run's reference set is pinned to (<see cref="Run.Options"/> <c>label_imports</c>, written at
    /// creation when asked: a round's run), or null: the run takes the pool's labels as they are when it is launched.
    /// </summary>
    public static IReadOnlyList<Guid>? PinnedLabelImports(Run run)
    {
        ArgumentNullException.ThrowIfNull(run);
        try
        {
            using var options = System.Text.Json.JsonDocument.Parse(run.Options);
            if (options.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object
                || !options.RootElement.TryGetProperty(LabelImportsOption, out System.Text.Json.JsonElement imports)
                || imports.ValueKind != System.Text.Json.JsonValueKind.Array)
            {
                return null;
            }

            return [.. imports.EnumerateArray().Select(i => Guid.Parse(i.GetString()!))];
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException or ArgumentNullException)
        {
            // Malformed options (not JSON, an id that is no GUID or no string) read as unpinned, as a run without the option.
            return null;
        }
    }

    /// <param name="pinLabels">Pin the run's reference set to the pool's labels now (<see cref="PinnedLabelImports"/>).</param>
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
        bool pinLabels = false,
        Guid? embeddingsFrom = null,
        int candidateFactor = Run.DefaultCandidateFactor,
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

        if (candidateFactor is < 1 or > 100)
        {
            throw new ArgumentException($"The candidate factor must lie in 1..100, got {candidateFactor}.", nameof(candidateFactor));
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
            CandidateFactor = candidateFactor,
            Options = incremental ? IncrementalOptions : "{}",
            EmbeddingsFrom = embeddingsFrom,
            CreatedAt = now,
        };
        if (pinLabels)
        {
            // The reference set as it is now (in the caller's transaction: a round's own import included), not as it is
            // when the coordinator launches the run. Labels are only ever added, in imports, so the imports name the set.
            List<Guid> imports = await db.Labels.Where(l => l.PoolId == poolId).Select(l => l.ImportId).Distinct().ToListAsync(cancellationToken).ConfigureAwait(false);
            var options = new System.Text.Json.Nodes.JsonObject();
            if (incremental)
            {
                options["incremental"] = true;
            }

            options[LabelImportsOption] = new System.Text.Json.Nodes.JsonArray([.. imports.Order().Select(i => (System.Text.Json.Nodes.JsonNode?)i.ToString())]);
            run.Options = options.ToJsonString();
        }

        // The row and its announcement in one transaction (the caller's, or one of its own): the announcement goes out only
        // with the row, and a failure leaves neither.
        db.Runs.Add(run);
        if (db.Database.CurrentTransaction is not null)
        {
            await SaveAndAnnounceAsync().ConfigureAwait(false);
        }
        else
        {
            IDbContextTransaction own = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (own.ConfigureAwait(false))
            {
                await SaveAndAnnounceAsync().ConfigureAwait(false);
                await own.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return run.Id;

        async Task SaveAndAnnounceAsync()
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await RunAnnouncements.AnnounceAsync(db, run.Id, cancellationToken).ConfigureAwait(false);
        }
    }
}
