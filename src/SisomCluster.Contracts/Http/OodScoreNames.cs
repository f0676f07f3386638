namespace SisomCluster.Contracts.Http;

/// <summary>
/// The values of <see cref="StartRunRequest.OodScore"/> and <see cref="RunResponse.OodScore"/>: the score whose threshold and
/// flag drive a run's drift, OOD rate and OOD exclusion. The same names as Core's <c>OodScores</c> (a test holds them equal;
/// Contracts has no dependencies).
/// </summary>
public static class OodScoreNames
{
    public const string Sisom = "sisom";

    public const string Sisome = "sisome";

    public const string Knn = "knn";

    public const string Energy = "energy";

    /// <summary>KNN, decided by the evaluation (README, "Which score flags OOD"); equal to Core's OodScores.Default (tested).</summary>
    public const string Default = Knn;

    public static IReadOnlyList<string> All { get; } = [Sisom, Sisome, Knn, Energy];
}
