using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Models;

/// <summary>
/// The one definition of a class index's name: a run whose context uses the model's own head takes the model manifest's
/// <c>class_names</c>; a head fitted on the labels takes the names the pool's labels were imported with. Used by
/// <c>GET /runs/{id}/classes</c>, the selection exports, and a label import without <c>class_names</c> (which reads
/// names through the model's manifest).
/// </summary>
public static class ClassNameResolver
{
    public const string FromManifest = "manifest";

    public const string FromLabels = "labels";

    public const string FromNone = "none";

    /// <summary>The names of the run's classes (one per index 0..K−1, null where none is known) and where they came from.</summary>
    public static async Task<(string Source, IReadOnlyList<string?> Names)> ForRunAsync(SisomDbContext db, ModelRegistry models, Run run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(run);
        var context = run.ContextId is { } contextId
            ? await db.ScoringContexts.AsNoTracking().Where(c => c.Id == contextId).Select(c => new { c.ClassCount, OwnHead = c.HeadWeights == null }).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            : null;

        IReadOnlyList<string>? fromManifest = context is null || context.OwnHead ? Manifest(models, run.ModelName) : null;
        if (fromManifest is not null)
        {
            int k = context?.ClassCount ?? fromManifest.Count;
            return (FromManifest, [.. Enumerable.Range(0, k).Select(i => i < fromManifest.Count ? fromManifest[i] : null)]);
        }

        Dictionary<int, string> fromLabels = await LabelNamesAsync(db, run.PoolId, cancellationToken).ConfigureAwait(false);
        int count = context?.ClassCount ?? (fromLabels.Count == 0 ? 0 : fromLabels.Keys.Max() + 1);
        return (
            fromLabels.Count == 0 ? FromNone : FromLabels,
            [.. Enumerable.Range(0, count).Select(i => fromLabels.TryGetValue(i, out string? name) ? name : null)]);
    }

    /// <summary>
    /// The class names a label file of <paramref name="poolId"/> may use when it gives none: the manifest's of
    /// <paramref name="model"/> (null: the model of the pool's newest run, else the default model), or null when the
    /// manifest names no classes (a backbone without a head) or the model is unknown.
    /// </summary>
    public static async Task<(string Model, IReadOnlyList<string>? Names)> ForImportAsync(SisomDbContext db, ModelRegistry models, Guid poolId, string? model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(models);
        model ??= await db.Runs.AsNoTracking().Where(r => r.PoolId == poolId).OrderByDescending(r => r.CreatedAt).Select(r => r.ModelName).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? Contracts.Http.StartRunRequest.DefaultModel;
        return (model, Manifest(models, model));
    }

    /// <summary>The manifest's class names, or null (no names, an unknown model, an unreadable manifest).</summary>
    private static IReadOnlyList<string>? Manifest(ModelRegistry models, string model)
    {
        try
        {
            return models.ClassNames(model);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
        {
            // The model left the registry or its manifest is unreadable: the labels may still name the classes.
            return null;
        }
    }

    /// <summary>One name per label index (an import gives each index one name; min() picks one should two imports disagree).</summary>
    private static Task<Dictionary<int, string>> LabelNamesAsync(SisomDbContext db, Guid poolId, CancellationToken cancellationToken) =>
        db.Labels.AsNoTracking()
            .Where(l => l.PoolId == poolId && l.LabelName != null)
            .GroupBy(l => l.Label)
            .Select(g => new { g.Key, Name = g.Min(l => l.LabelName)! })
            .ToDictionaryAsync(g => g.Key, g => g.Name, cancellationToken);
}
