using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using Pgvector;
using SisomCluster.Core;
using SisomCluster.Core.Baselines;
using SisomCluster.Core.Reference;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using SisomCluster.Data;
using ReferenceStateRow = SisomCluster.Data.Scoring.ReferenceStateRow;
using StoredContext = SisomCluster.Data.Scoring.ScoringContext;
using StoredReference = SisomCluster.Data.Scoring.ReferenceItem;

namespace SisomCluster.Server.Scoring;

/// <summary>
/// Scoring contexts in PostgreSQL: the aggregator saves one (states, margins, statistics, head,
/// thresholds, the α grid) and every worker loads it — nothing is recomputed on the way (ARCHITECTURE.md §4).
/// </summary>
public sealed class ContextStore(SisomDbContext db)
{
    private static readonly JsonSerializerOptions LayersJson = new(JsonSerializerDefaults.Web);

    public Task<Guid> SaveAsync(ScoringContext context, Guid poolId, string modelVersion, IReadOnlyList<string> referenceIds, CancellationToken cancellationToken) =>
        SaveAsync(context, poolId, modelVersion, referenceIds, features: null, cancellationToken);

    /// <param name="features">
    /// The reference items' features h, in <paramref name="referenceIds"/> order, for a context without a KNN bank (built with
    /// <see cref="ScoringContextOptions.ComputeKnn"/> false): stored all the same (the next reference version and the workers
    /// use them), and the context is marked <c>knn = false</c>, for runs without KNN only. Ignored when the context has a
    /// bank (its features are these).
    /// </param>
    public async Task<Guid> SaveAsync(ScoringContext context, Guid poolId, string modelVersion, IReadOnlyList<string> referenceIds, FeatureMatrix? features, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(referenceIds);
        ReferenceSet reference = context.Reference;
        if (referenceIds.Count != reference.Count)
        {
            throw new ArgumentException($"{referenceIds.Count} ids for {reference.Count} reference items.", nameof(referenceIds));
        }

        FeatureMatrix? storedFeatures = context.Knn?.ReferenceFeatures ?? features;
        if (storedFeatures is not null && storedFeatures.Rows != reference.Count)
        {
            throw new ArgumentException($"{storedFeatures.Rows} feature rows for {reference.Count} reference items.", nameof(features));
        }

        var row = new StoredContext
        {
            Id = Guid.NewGuid(),
            PoolId = poolId,
            ModelVersion = modelVersion,
            ReferenceVersion = ReferenceVersion.Of(referenceIds.Select((id, i) => (id, reference.Labels[i]))),
            Alpha = context.Alpha,
            RAvg = context.Statistics.RAvg,
            SdR = context.Statistics.SdR,
            MuE = context.Statistics.MuE,
            SdE = context.Statistics.SdE,
            SisomeWeight = context.SisomeWeight,
            Quantile = context.Quantile,
            ThresholdSisom = context.ThresholdSisom,
            ThresholdSisome = context.ThresholdSisome,
            NeighbourRank = context.NeighbourRank,
            KnnK = context.Knn?.RequestedK ?? 0,
            Knn = context.Knn is not null || features is null,
            ThresholdKnn = double.IsFinite(context.ThresholdKnn) ? context.ThresholdKnn : null,
            ThresholdEnergy = double.IsFinite(context.ThresholdEnergy) ? context.ThresholdEnergy : null,
            ClassCount = context.Head.ClassCount,
            StateDimension = reference.Dimension,
            HeadWeights = context.Head.Weights,
            HeadBias = context.Head.Bias,
            Layers = JsonSerializer.Serialize(context.Layers.Select(l => new StoredLayer(l.Name, l.Alpha, l.Width)), LayersJson),
            AlphaGrid = JsonSerializer.Serialize(context.AlphaGrid.Select(a => new { alpha = a.Alpha, r_avg = double.IsFinite(a.RAvg) ? a.RAvg : (double?)null, eligible = a.Eligible })),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        // One transaction (the caller's, if it has one): the context row and its reference-state rows through EF Core, the
        // reference items — |T| rows of one or two vectors each — by binary COPY (EF Core's batched INSERT of 10⁴ such rows took
        // 1.7 s of the reference phase; bench rescore). A context is never seen without its reference items.
        await using IDbContextTransaction? own = db.Database.CurrentTransaction is null
            ? await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false)
            : null;
        db.ScoringContexts.Add(row);

        // The margins and leave-one-out neighbours at every α evaluated: the next reference-set version starts from them.
        foreach ((double alpha, ReferenceState state) in context.ReferenceStates)
        {
            db.ReferenceStates.Add(new ReferenceStateRow
            {
                ContextId = row.Id,
                Alpha = alpha,
                Margins = state.Margins,
                MarginNeighbours = state.MarginNeighbours,
                LooNeighbours = state.LooNeighbours,
                LooDistances = state.LooDistances,
            });
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            "COPY reference_items (context_id, item_id, label, state, margin, feature) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            for (int i = 0; i < reference.Count; i++)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Id, NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(referenceIds[i], NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(reference.Labels[i], NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(new Vector(reference.States.Row(i).ToArray()), "vector", cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(reference.Margins[i], NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
                if (storedFeatures is null)
                {
                    await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await importer.WriteAsync(new Vector(storedFeatures.Row(i).ToArray()), "vector", cancellationToken).ConfigureAwait(false);
                }
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        if (own is not null)
        {
            await own.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return row.Id;
    }

    /// <summary>
    /// The newest context of <paramref name="poolId"/> and <paramref name="modelVersion"/> that stored its reference
    /// items' features (with or without a KNN bank: the features and margins do not depend on it): what a new reference-set version reuses (features instead of embedding again, and its
    /// <see cref="ReferenceState"/>s instead of recomputing margins). Null when there is none.
    /// </summary>
    public async Task<PreviousReference?> LoadPreviousAsync(Guid poolId, string modelVersion, CancellationToken cancellationToken)
    {
        StoredContext? stored = await db.ScoringContexts.AsNoTracking()
            .Where(c => c.PoolId == poolId && c.ModelVersion == modelVersion && (c.KnnK > 0 || !c.Knn))
            .OrderByDescending(c => c.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        var references = await db.ReferenceItems.AsNoTracking()
            .Where(r => r.ContextId == stored.Id)
            .Select(r => new { r.ItemId, r.Label, r.Feature, r.State })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        if (references.Count == 0 || references.Any(r => r.Feature is null))
        {
            return null;
        }

        // The reference order is ordinal item-id order (ContextBuilder), whatever the database's collation sorts by.
        references.Sort((a, b) => string.CompareOrdinal(a.ItemId, b.ItemId));
        int d = references[0].Feature!.ToArray().Length;
        int s = stored.StateDimension;
        var features = new float[references.Count * d];
        var layerTails = s > d ? new float[references.Count * (s - d)] : null;
        for (int i = 0; i < references.Count; i++)
        {
            references[i].Feature!.ToArray().CopyTo(features, i * d);
            if (layerTails is not null)
            {
                references[i].State.ToArray().AsSpan(d).CopyTo(layerTails.AsSpan(i * (s - d)));
            }
        }

        int[] labels = references.Select(r => r.Label).ToArray();
        var states = new Dictionary<double, ReferenceState>();
        foreach (ReferenceStateRow row in await db.ReferenceStates.AsNoTracking().Where(r => r.ContextId == stored.Id).ToListAsync(cancellationToken).ConfigureAwait(false))
        {
            states[row.Alpha] = ReferenceState.FromParts(labels, row.Margins, row.MarginNeighbours, row.LooNeighbours, row.LooDistances);
        }

        StateLayer[] layers = (JsonSerializer.Deserialize<StoredLayer[]>(stored.Layers, LayersJson) ?? []).Select(l => new StateLayer(l.Name, l.Alpha, l.Width)).ToArray();
        return new PreviousReference(
            stored.Id,
            references.Select(r => r.ItemId).ToArray(),
            labels,
            new FeatureMatrix(features, references.Count, d),
            layerTails is null ? null : new FeatureMatrix(layerTails, references.Count, s - d),
            layers,
            new LinearHead(stored.HeadWeights!, stored.HeadBias!, stored.ClassCount, stored.HeadWeights!.Length / stored.ClassCount),
            states);
    }

    public async Task<LoadedContext> LoadAsync(Guid contextId, CancellationToken cancellationToken)
    {
        StoredContext stored = await db.ScoringContexts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == contextId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Scoring context {contextId} does not exist.");
        List<StoredReference> references = await db.ReferenceItems.AsNoTracking()
            .Where(r => r.ContextId == contextId)
            .OrderBy(r => r.ItemId)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        int s = stored.StateDimension;
        var states = new float[references.Count * s];
        var labels = new int[references.Count];
        var margins = new double[references.Count];
        for (int i = 0; i < references.Count; i++)
        {
            references[i].State.ToArray().CopyTo(states, i * s);
            labels[i] = references[i].Label;
            margins[i] = references[i].Margin;
        }

        // The reference items' features h, in the same (item id) order; a context stored before KNN has none. They are the KNN
        // bank when the context has one (k > 0); a context built without KNN (knn = false) has them and no bank.
        FeatureMatrix? referenceFeatures = null;
        if (references.Count > 0 && references.All(r => r.Feature is not null))
        {
            int d = references[0].Feature!.ToArray().Length;
            var features = new float[references.Count * d];
            for (int i = 0; i < references.Count; i++)
            {
                references[i].Feature!.ToArray().CopyTo(features, i * d);
            }

            referenceFeatures = new FeatureMatrix(features, references.Count, d);
        }

        KnnScorer? knn = stored.KnnK > 0 && referenceFeatures is not null ? new KnnScorer(referenceFeatures, stored.KnnK) : null;

        var head = new LinearHead(stored.HeadWeights!, stored.HeadBias!, stored.ClassCount, stored.HeadWeights!.Length / stored.ClassCount);
        var reference = new ReferenceSet(new FeatureMatrix(states, references.Count, s), labels, stored.ClassCount, margins);
        var statistics = new IdStatistics(stored.RAvg, stored.SdR, stored.MuE, stored.SdE, references.Count, references.Count);
        StateLayer[] layers = (JsonSerializer.Deserialize<StoredLayer[]>(stored.Layers, LayersJson) ?? []).Select(l => new StateLayer(l.Name, l.Alpha, l.Width)).ToArray();
        ScoringContext context = ScoringContext.FromParts(head, stored.Alpha, reference, statistics, stored.SisomeWeight, stored.Quantile, stored.ThresholdSisom, stored.ThresholdSisome, stored.NeighbourRank, layers: layers,
            knn: knn, thresholdKnn: stored.ThresholdKnn ?? double.NaN, thresholdEnergy: stored.ThresholdEnergy ?? double.NaN);
        return new LoadedContext(contextId, context, references.Select(r => r.ItemId).ToArray(), referenceFeatures);
    }

    /// <summary>One entry of the <c>layers</c> JSON column: a layer whose states follow s_pen in z, with its α and width.</summary>
    private sealed record StoredLayer(string Name, double Alpha, int Width);
}
