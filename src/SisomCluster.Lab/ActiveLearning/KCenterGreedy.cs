using System.Numerics.Tensors;
using SisomCluster.Core;

namespace SisomCluster.Lab.ActiveLearning;

/// <summary>
/// CoreSet selection by k-center greedy (Sener and Savarese, ICLR 2018): repeatedly pick the candidate
/// farthest (Euclidean) from its nearest centre, then make it a centre. A 2-approximation of the
/// minimax facility location; ties go to the lowest candidate position.
/// </summary>
public static class KCenterGreedy
{
    /// <param name="points">All rows (labeled and unlabeled).</param>
    /// <param name="centres">Rows already labeled; may be empty (then the first pick is the first candidate).</param>
    /// <param name="candidates">Rows that may be picked.</param>
    /// <param name="budget">How many to pick; fewer when there are fewer candidates.</param>
    /// <returns>The picked rows of <paramref name="points"/>, in pick order.</returns>
    public static int[] Select(FeatureMatrix points, ReadOnlySpan<int> centres, ReadOnlySpan<int> candidates, int budget)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, 0);
        CheckRows(points, centres, nameof(centres));
        CheckRows(points, candidates, nameof(candidates));
        int n = candidates.Length;
        var nearest = new double[n];
        Array.Fill(nearest, double.PositiveInfinity);
        foreach (int c in centres)
        {
            Relax(points, candidates, nearest, c);
        }

        var taken = new bool[n];
        int count = Math.Min(budget, n);
        var picked = new int[count];
        for (int p = 0; p < count; p++)
        {
            int best = -1;
            for (int i = 0; i < n; i++)
            {
                if (!taken[i] && (best < 0 || nearest[i] > nearest[best]))
                {
                    best = i;
                }
            }

            taken[best] = true;
            picked[p] = candidates[best];
            Relax(points, candidates, nearest, candidates[best]);
        }

        return picked;
    }

    private static void Relax(FeatureMatrix points, ReadOnlySpan<int> candidates, double[] nearest, int centre)
    {
        ReadOnlySpan<float> c = points.Row(centre);
        for (int i = 0; i < candidates.Length; i++)
        {
            double d = TensorPrimitives.Distance(points.Row(candidates[i]), c);
            if (d < nearest[i])
            {
                nearest[i] = d;
            }
        }
    }

    private static void CheckRows(FeatureMatrix points, ReadOnlySpan<int> rows, string paramName)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)points.Rows)
            {
                throw new ArgumentException($"{paramName}[{i}] = {rows[i]} is outside 0..{points.Rows - 1}.", paramName);
            }
        }
    }
}
