namespace SisomCluster.Core.Selection;

/// <summary>Which score the selection orders by.</summary>
public enum SelectionScore
{
    Sisom,
    Sisome,
}

/// <summary>Options of the global active-learning selection (SISOM.md §8.3).</summary>
public sealed record SelectionOptions
{
    /// <summary>B, the number of items to select.</summary>
    public required int Budget { get; init; }

    /// <summary>Leave out items flagged OOD and items above a gate (default). Off: OOD items compete like any other.</summary>
    public bool ExcludeOod { get; init; } = true;

    /// <summary>
    /// Further OOD exclusions with <see cref="ExcludeOod"/>: a candidate above any gate's threshold is left out. The guarded
    /// default selection (<see cref="For"/>) passes one gate, <see cref="SelectionGates.At"/>; empty = the run's flag only.
    /// </summary>
    public IReadOnlyList<OodGate> Gates { get; init; } = [];

    /// <summary>Optional cap per predicted class; classes not named are uncapped.</summary>
    public IReadOnlyDictionary<int, int>? ClassQuotas { get; init; }

    /// <summary>Diversity on when set: walk the top M = ⌈factor·B⌉ candidates, re-scoring lazily.</summary>
    public double? DiversityFactor { get; init; }

    /// <summary>The score re-computed by diversity; it should match the score the candidates carry.</summary>
    public SelectionScore ScoreKind { get; init; } = SelectionScore.Sisom;

    /// <summary>
    /// The product's selection of B items under <paramref name="policy"/> (SISOM.md §8.3 step 1): OOD exclusion on; with
    /// <see cref="SelectionPolicy.Guarded"/> (the default) also the gates of <see cref="SelectionGates.Guarded"/>: SISOM at
    /// the context's q and <paramref name="gateScore"/> at <paramref name="gateQuantile"/> of the leave-one-out reference scores.
    /// </summary>
    public static SelectionOptions For(
        SelectionPolicy policy,
        int budget,
        Scoring.ScoringContext? context,
        string gateScore = SelectionGates.DefaultScore,
        double gateQuantile = SelectionGates.DefaultQuantile) => policy switch
        {
            SelectionPolicy.Guarded => new SelectionOptions
            {
                Budget = budget,
                Gates = SelectionGates.Guarded(context ?? throw new ArgumentNullException(nameof(context), "The guarded selection needs the scoring context for its gates."), gateScore, gateQuantile),
            },
            SelectionPolicy.Threshold => new SelectionOptions { Budget = budget },
            _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, $"Unknown selection policy {policy}."),
        };

    /// <summary>Class-balanced quotas: ⌈B/K⌉ per class.</summary>
    public static IReadOnlyDictionary<int, int> BalancedQuotas(int budget, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        int each = (budget + classCount - 1) / classCount;
        return Enumerable.Range(0, classCount).ToDictionary(c => c, _ => each);
    }

    internal void Validate()
    {
        if (Budget < 1)
        {
            throw new ArgumentException($"The selection budget must be >= 1, got {Budget}.", nameof(Budget));
        }

        ArgumentNullException.ThrowIfNull(Gates);
        foreach (OodGate gate in Gates)
        {
            (gate ?? throw new ArgumentException("An OOD gate is null.", nameof(Gates))).Validate();
        }

        if (ClassQuotas is not null)
        {
            foreach ((int cls, int quota) in ClassQuotas)
            {
                if (quota < 0)
                {
                    throw new ArgumentException($"The quota of class {cls} is {quota}; quotas must be >= 0.", nameof(ClassQuotas));
                }
            }
        }

        if (DiversityFactor is { } f && !(f >= 1 && double.IsFinite(f)))
        {
            throw new ArgumentException($"The diversity factor must be >= 1, got {f}.", nameof(DiversityFactor));
        }
    }
}
