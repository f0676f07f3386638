namespace SisomCluster.Core.Heads;

/// <summary>
/// A seeded, per-class proportional train / held-out split of item indices, for reporting the
/// held-out accuracy of a fitted head.
/// </summary>
public static class StratifiedSplit
{
    /// <summary>
    /// Class c with n_c items sends round(f·n_c) of them (half to even) to the held-out set, but
    /// never all of a class with n_c ≥ 2, so every class seen at all can still be fitted. Which
    /// items go is a Fisher–Yates shuffle of the class's indices with one <see cref="Random"/>
    /// seeded by <paramref name="seed"/>, classes taken in ascending order; the same labels and seed
    /// give the same split on every run and runtime (System.Random with a seed is a fixed generator).
    /// Both index arrays are returned in ascending order.
    /// </summary>
    public static (int[] Train, int[] HeldOut) Split(ReadOnlySpan<int> labels, double heldOutFraction, int seed)
    {
        if (!(heldOutFraction > 0 && heldOutFraction < 1))
        {
            throw new ArgumentException($"heldOutFraction = {heldOutFraction} must lie in (0, 1).", nameof(heldOutFraction));
        }

        int classCount = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new ArgumentException($"labels[{i}] = {labels[i]} is negative.", nameof(labels));
            }

            classCount = Math.Max(classCount, labels[i] + 1);
        }

        var members = new List<int>[classCount];
        for (int c = 0; c < classCount; c++)
        {
            members[c] = [];
        }

        for (int i = 0; i < labels.Length; i++)
        {
            members[labels[i]].Add(i);
        }

        var random = new Random(seed);
        var train = new List<int>(labels.Length);
        var heldOut = new List<int>(labels.Length);
        foreach (List<int> indices in members)
        {
            int n = indices.Count;
            Shuffle(indices, random);
            int take = (int)Math.Round(heldOutFraction * n, MidpointRounding.ToEven);
            if (n >= 2)
            {
                take = Math.Min(take, n - 1);
            }

            heldOut.AddRange(indices.Take(take));
            train.AddRange(indices.Skip(take));
        }

        int[] trainArray = [.. train];
        int[] heldOutArray = [.. heldOut];
        Array.Sort(trainArray);
        Array.Sort(heldOutArray);
        return (trainArray, heldOutArray);
    }

    private static void Shuffle(List<int> indices, Random random)
    {
        for (int i = indices.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
    }
}
