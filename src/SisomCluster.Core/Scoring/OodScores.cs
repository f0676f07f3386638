namespace SisomCluster.Core.Scoring;

/// <summary>
/// The scores a run can flag OOD by (SISOM.md §8): each has its own threshold at q and its own flag on every item; the run
/// names one, and its drift, OOD exclusion and OOD rate use that one's flag. The names are the API's and the columns' suffixes.
/// </summary>
public static class OodScores
{
    public const string Sisom = "sisom";

    public const string Sisome = "sisome";

    public const string Knn = "knn";

    public const string Energy = "energy";

    /// <summary>
    /// KNN: the best OOD detector in the evaluation (README, "Which score flags OOD"; docs/results/README.md, both settings side by
    /// side): best near/far AUROC in three of four columns, a tie with SISOM in the fourth.
    /// </summary>
    public const string Default = Knn;

    public static IReadOnlyList<string> All { get; } = [Sisom, Sisome, Knn, Energy];

    public static bool IsKnown(string? name) => name is not null && All.Contains(name, StringComparer.Ordinal);

    /// <summary>The item's flag by the named score.</summary>
    public static bool Flagged(in SisomItemScore score, string name) => name switch
    {
        Sisom => score.OodSisom,
        Sisome => score.OodSisome,
        Knn => score.OodKnn,
        Energy => score.OodEnergy,
        _ => throw new ArgumentException($"Unknown OOD score '{name}'; use {string.Join(", ", All)}.", nameof(name)),
    };
}
