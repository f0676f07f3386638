using SisomCluster.Core.Scoring;
using SisomCluster.Core.Selection;

namespace SisomCluster.Server.Scoring;

/// <summary>A stored scoring context as loaded by <see cref="ContextStore"/>: the Core context plus the ids its reference indices stand for.</summary>
/// <param name="ReferenceFeatures">
/// The reference items' features h in <paramref name="ReferenceIds"/> order, when stored: the KNN bank's, or those of a
/// context built without KNN (which has no bank); null for a context stored before KNN.
/// </param>
public sealed record LoadedContext(Guid ContextId, ScoringContext Scoring, IReadOnlyList<string> ReferenceIds, Core.FeatureMatrix? ReferenceFeatures = null)
{
    private readonly Dictionary<string, int> _memberIndex = ReferenceIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);

    // Leave-one-out scores of the reference set: computed once per loaded context, not once per shard.
    private readonly Lazy<IReadOnlyList<OodGate>> _guardedGates = new(() => SelectionGates.Guarded(Scoring, GuardedGateScore(Scoring)));

    /// <summary>
    /// The guarded selection's gates (<see cref="SelectionGates.Guarded"/>) for this context: SISOM at q and KNN at the
    /// default quantile, or SISOM there too when the context has no KNN bank (<see cref="GuardedGateScore"/>).
    /// </summary>
    public IReadOnlyList<OodGate> GuardedGates => _guardedGates.Value;

    /// <summary>The guarded selection's second gate score: KNN, or SISOM for a context without a bank (stored before KNN, or built for runs without it).</summary>
    public static string GuardedGateScore(ScoringContext scoring)
    {
        ArgumentNullException.ThrowIfNull(scoring);
        return scoring.Knn is null ? OodScores.Sisom : SelectionGates.DefaultScore;
    }

    /// <summary>
    /// The reference index of a pool item that is itself a labeled reference item of this context (same item id: a context
    /// belongs to one pool), or −1. Such an item is scored with itself left out (SISOM.md §5).
    /// </summary>
    public int MemberIndex(string itemId) => _memberIndex.TryGetValue(itemId, out int index) ? index : -1;

    /// <summary>The member index of each id (−1 for non-members); empty when none is a member, so Core skips the identity check.</summary>
    public int[] MemberIndices(ReadOnlySpan<string> itemIds)
    {
        var indices = new int[itemIds.Length];
        bool any = false;
        for (int i = 0; i < indices.Length; i++)
        {
            indices[i] = MemberIndex(itemIds[i]);
            any |= indices[i] >= 0;
        }

        return any ? indices : [];
    }
}
