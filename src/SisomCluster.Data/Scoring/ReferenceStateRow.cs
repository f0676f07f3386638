namespace SisomCluster.Data.Scoring;

/// <summary>
/// The margins and leave-one-out neighbours of a context's reference set at one α (Core's <c>ReferenceState</c>), kept so
/// that the next reference-set version of the same pool, model and head updates them in O(n·|T|·D) instead of recomputing
/// them in O(|T|²·D) (ARCHITECTURE.md §4). One row per α the context evaluated; every array is in the reference set's
/// order (item ids, ordinal), and a neighbour is an index into that order (−1: none). Distances are +∞ where there is no
/// neighbour.
/// </summary>
public sealed class ReferenceStateRow
{
    public Guid ContextId { get; set; }

    public double Alpha { get; set; }

    /// <summary>m(t) per reference item.</summary>
    public required double[] Margins { get; set; }

    /// <summary>The other-class item at distance m(t).</summary>
    public required int[] MarginNeighbours { get; set; }

    /// <summary>a(t): the nearest other item of the same class.</summary>
    public required int[] LooNeighbours { get; set; }

    /// <summary>d_in(t) = ‖z(t) − z(a(t))‖.</summary>
    public required double[] LooDistances { get; set; }
}
