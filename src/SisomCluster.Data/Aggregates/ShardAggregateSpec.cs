using System.Globalization;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.Selection;

namespace SisomCluster.Data.Aggregates;

/// <summary>
/// What a shard commit aggregates besides its rows (<see cref="Results.ShardResultWriter.BeginAsync"/>): everything is
/// known before the shard is scored — the run's OOD score, the selection's filter (the flag and the gates, whose
/// thresholds come from the scoring context), the number of candidates to keep and the histogram bin widths.
/// </summary>
public sealed record ShardAggregateSpec
{
    /// <summary>The run's pool: drift buckets read the items' source and capture time from its <c>items</c> (<see cref="Drift"/>).</summary>
    public required Guid PoolId { get; init; }

    /// <summary>
    /// Where the drift buckets find each item's source and capture time: <c>items</c>, one query per shard (the default), or
    /// the rows themselves when the caller vouches that they equal the registry's (<see cref="DriftLookup"/>).
    /// </summary>
    public DriftLookup Drift { get; init; } = DriftLookup.Registry;

    /// <summary>The run's OOD score (<see cref="OodScores"/>): its flag is counted in drift and excludes candidates.</summary>
    public required string OodScore { get; init; }

    /// <summary>Candidates leave out flagged items and items above a gate (the selection's <c>ExcludeOod</c>).</summary>
    public bool ExcludeOod { get; init; } = true;

    /// <summary>The selection's gates (empty: the run's flag only).</summary>
    public IReadOnlyList<OodGate> Gates { get; init; } = [];

    /// <summary>Candidates to keep: budget × factor (a commit keeps one more per reference item it meets, since labels are left out later).</summary>
    public required int CandidateLimit { get; init; }

    /// <summary>The histogram bin width per score (<see cref="ScoreBins.Width"/>); a score not named gets no histogram.</summary>
    public required IReadOnlyDictionary<string, double> BinWidths { get; init; }

    /// <summary>The filter as text, stored with the candidates: the finaliser merges them only under the same filter.</summary>
    public string Filter => Describe(OodScore, ExcludeOod, Gates);

    /// <summary>
    /// The candidates one shard keeps when the run's finaliser will ask for the top <paramref name="limit"/> (budget ×
    /// factor) across <paramref name="shards"/> shards: min(limit, ⌈4 · limit / shards⌉ + 64). A shard holds limit / shards
    /// of the top on average when the pool's order is unrelated to the scores; keeping four times that plus 64 covers the
    /// spread of a shuffled pool many times over, and costs ~6 % of the rows at budget 1 000 with 100 shards of 10⁴ instead
    /// of 40 %. The merge stays exact either way: when some shard held more of the top than it kept (a pool sorted by
    /// something the scores follow), its best unkept item ranks above the merged last and the finaliser scans
    /// (<see cref="RunAggregates.CandidatesAsync"/>).
    /// </summary>
    public static int PerShardCandidates(int limit, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        long spread = ((4L * limit) + shards - 1) / shards;
        return (int)Math.Min(limit, spread + 64);
    }

    /// <summary>The text of a selection filter (run's flag, gates with their thresholds round-trip formatted).</summary>
    public static string Describe(string oodScore, bool excludeOod, IReadOnlyList<OodGate> gates)
    {
        ArgumentNullException.ThrowIfNull(gates);
        return !excludeOod
            ? "all"
            : "not ood_" + oodScore + string.Concat(gates.Select(g => string.Create(CultureInfo.InvariantCulture, $", {g.Score} <= {g.Threshold:R}")));
    }

    internal void Validate()
    {
        if (!OodScores.IsKnown(OodScore))
        {
            throw new ArgumentException($"Unknown OOD score '{OodScore}'; use {string.Join(", ", OodScores.All)}.", nameof(OodScore));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(CandidateLimit, 1, nameof(CandidateLimit));
        if (!Enum.IsDefined(Drift))
        {
            throw new ArgumentException($"Unknown drift lookup {Drift}; use {string.Join(", ", Enum.GetNames<DriftLookup>())}.", nameof(Drift));
        }

        ArgumentNullException.ThrowIfNull(BinWidths);
        foreach ((string score, double width) in BinWidths)
        {
            if (!ScoreBins.Scores.Contains(score, StringComparer.Ordinal) || !(width > 0 && double.IsFinite(width)))
            {
                throw new ArgumentException($"Histogram of '{score}' with bin width {width}: the score must be one of {string.Join(", ", ScoreBins.Scores)} and the width finite and > 0.", nameof(BinWidths));
            }
        }
    }
}
