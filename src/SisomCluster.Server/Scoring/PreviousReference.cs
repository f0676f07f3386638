using SisomCluster.Core;
using SisomCluster.Core.Reference;
using SisomCluster.Core.States;

namespace SisomCluster.Server.Scoring;

/// <summary>
/// A stored context's reference set as the next reference-set version reuses it (<see cref="ContextStore.LoadPreviousAsync"/>):
/// the items (ordinal item-id order) with their labels and features h (and layer states, for a multi-layer model), the head
/// and layers the states were computed with, and the margins and leave-one-out neighbours at each α it evaluated.
/// </summary>
public sealed record PreviousReference(
    Guid ContextId,
    IReadOnlyList<string> ItemIds,
    int[] Labels,
    FeatureMatrix Features,
    FeatureMatrix? LayerStates,
    IReadOnlyList<StateLayer> Layers,
    LinearHead Head,
    IReadOnlyDictionary<double, ReferenceState> States)
{
    private readonly Dictionary<string, int> _index = ItemIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);

    /// <summary>The item's row, or −1 when it was not a reference item of that context.</summary>
    public int IndexOf(string itemId) => _index.TryGetValue(itemId, out int i) ? i : -1;
}
