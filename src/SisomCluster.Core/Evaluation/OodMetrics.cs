namespace SisomCluster.Core.Evaluation;

/// <summary>
/// OOD detection metrics, OpenOOD convention (SISOM.md §8.4): OOD is the positive class and a
/// higher score means more OOD. AUPR-In takes ID as positive with the negated score.
/// </summary>
public sealed record OodMetrics(double Auroc, double Fpr95, double AuprIn, double AuprOut, int IdCount, int OodCount)
{
    public const string Convention = "OpenOOD convention: OOD = positive class, higher score = more OOD";

    public static OodMetrics Compute(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isOod)
    {
        if (scores.Length != isOod.Length)
        {
            throw new ArgumentException($"{scores.Length} scores for {isOod.Length} labels.", nameof(isOod));
        }

        var ood = new List<double>();
        var id = new List<double>();
        for (int i = 0; i < scores.Length; i++)
        {
            if (double.IsNaN(scores[i]))
            {
                throw new ArgumentException($"scores[{i}] is NaN.", nameof(scores));
            }

            (isOod[i] ? ood : id).Add(scores[i]);
        }

        if (ood.Count == 0 || id.Count == 0)
        {
            throw new ArgumentException($"Metrics need both ID and OOD items (got {id.Count} ID, {ood.Count} OOD).", nameof(isOod));
        }

        ood.Sort();
        id.Sort();
        var negatedId = id.Select(v => -v).ToArray();
        var negatedOod = ood.Select(v => -v).ToArray();
        Array.Sort(negatedId);
        Array.Sort(negatedOod);
        return new OodMetrics(
            ComputeAuroc(id, ood),
            ComputeFpr95(id, ood),
            AveragePrecision(negatedId, negatedOod),
            AveragePrecision(ood, id),
            id.Count,
            ood.Count);
    }

    /// <summary>P(score_ood > score_id) + ½ P(equal), by a merge over the two sorted lists.</summary>
    private static double ComputeAuroc(List<double> idSorted, List<double> oodSorted)
    {
        double wins = 0;
        int below = 0;
        int upTo = 0;
        foreach (double o in oodSorted)
        {
            while (below < idSorted.Count && idSorted[below] < o)
            {
                below++;
            }

            upTo = Math.Max(upTo, below);
            while (upTo < idSorted.Count && idSorted[upTo] == o)
            {
                upTo++;
            }

            wins += below + (0.5 * (upTo - below));
        }

        return wins / ((double)idSorted.Count * oodSorted.Count);
    }

    /// <summary>
    /// FPR at 95 % TPR: t = the largest threshold that still flags ≥ 95 % of OOD items
    /// (score ≥ t), then the fraction of ID items with score ≥ t.
    /// </summary>
    private static double ComputeFpr95(List<double> idSorted, List<double> oodSorted)
    {
        int needed = (int)Math.Ceiling(Math.Round(0.95 * oodSorted.Count, 9));
        double t = oodSorted[oodSorted.Count - needed];
        int falsePositives = idSorted.Count - LowerBound(idSorted, t);
        return falsePositives / (double)idSorted.Count;
    }

    /// <summary>
    /// Average precision with <paramref name="positives"/> as the positive class (sklearn's
    /// definition): Σ over distinct thresholds of (R_n − R_{n−1})·P_n, scanning from the highest score.
    /// </summary>
    private static double AveragePrecision(IReadOnlyList<double> positivesSorted, IReadOnlyList<double> negativesSorted)
    {
        int p = positivesSorted.Count - 1;
        int n = negativesSorted.Count - 1;
        int truePositives = 0;
        int falsePositives = 0;
        double ap = 0;
        while (p >= 0 || n >= 0)
        {
            double t = Math.Max(p >= 0 ? positivesSorted[p] : double.NegativeInfinity, n >= 0 ? negativesSorted[n] : double.NegativeInfinity);
            int newPositives = 0;
            while (p >= 0 && positivesSorted[p] == t)
            {
                newPositives++;
                p--;
            }

            while (n >= 0 && negativesSorted[n] == t)
            {
                falsePositives++;
                n--;
            }

            truePositives += newPositives;
            if (newPositives > 0)
            {
                ap += newPositives / (double)positivesSorted.Count * (truePositives / (double)(truePositives + falsePositives));
            }
        }

        return ap;
    }

    private static int LowerBound(List<double> sorted, double value)
    {
        int lo = 0;
        int hi = sorted.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
