using SisomCluster.Core.Scoring;

namespace SisomCluster.Core.Selection;

/// <summary>
/// Global active-learning selection (SISOM.md §8.3): OOD exclusion (the run's flag and, for the guarded default, an OOD
/// gate below the run's threshold: <see cref="SelectionGates"/>), order by score (ties by id),
/// optional per-class quotas, optional SISOM-native diversity.
/// </summary>
public static class ActiveLearningSelector
{
    /// <param name="context">Required for diversity: reference states, labels and margins, and the ID statistics for re-scoring.</param>
    public static IReadOnlyList<SelectedItem> Select(IReadOnlyList<SelectionCandidate> candidates, SelectionOptions options, ScoringContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Validate(candidates, options, context);

        SelectionCandidate[] ordered = candidates
            .Where(c => !options.ExcludeOod || (!c.IsOod && !Gated(c, options.Gates)))
            .OrderByDescending(c => c.Score)
            .ThenBy(c => c.Id, StringComparer.Ordinal)
            .ToArray();

        var plain = ordered.Take(options.Budget).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        List<(SelectionCandidate Candidate, double Score)> quota = TakeWithQuotas(ordered, options);
        List<(SelectionCandidate Candidate, double Score)> chosen = options.DiversityFactor is { } factor
            ? new DiverseSelection(ordered, options, context!, factor).Run()
            : quota;
        var quotaIds = quota.Select(q => q.Candidate.Id).ToHashSet(StringComparer.Ordinal);

        var result = new List<SelectedItem>(chosen.Count);
        foreach ((SelectionCandidate candidate, double score) in chosen)
        {
            SelectionReason reason = plain.Contains(candidate.Id) ? SelectionReason.Score
                : options.DiversityFactor is null || (options.ClassQuotas is not null && quotaIds.Contains(candidate.Id)) ? SelectionReason.ClassQuota
                : SelectionReason.Diversity;
            result.Add(new SelectedItem(candidate.Id, result.Count + 1, score, candidate.Score, candidate.Predicted, reason));
        }

        return result;
    }

    private static List<(SelectionCandidate, double)> TakeWithQuotas(SelectionCandidate[] ordered, SelectionOptions options)
    {
        var taken = new List<(SelectionCandidate, double)>(options.Budget);
        var perClass = new Dictionary<int, int>();
        foreach (SelectionCandidate c in ordered)
        {
            if (taken.Count == options.Budget)
            {
                break;
            }

            if (QuotaFull(options, perClass, c.Predicted))
            {
                continue;
            }

            perClass[c.Predicted] = perClass.GetValueOrDefault(c.Predicted) + 1;
            taken.Add((c, c.Score));
        }

        return taken;
    }

    /// <summary>Above a gate's threshold (strictly, like the run's flag s &gt; τ).</summary>
    private static bool Gated(SelectionCandidate candidate, IReadOnlyList<OodGate> gates)
    {
        foreach (OodGate gate in gates)
        {
            if (candidate.OodValues![gate.Score] > gate.Threshold)
            {
                return true;
            }
        }

        return false;
    }

    internal static bool QuotaFull(SelectionOptions options, Dictionary<int, int> perClass, int predicted) =>
        options.ClassQuotas is not null
        && options.ClassQuotas.TryGetValue(predicted, out int quota)
        && perClass.GetValueOrDefault(predicted) >= quota;

    private static void Validate(IReadOnlyList<SelectionCandidate> candidates, SelectionOptions options, ScoringContext? context)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < candidates.Count; i++)
        {
            SelectionCandidate c = candidates[i] ?? throw new ArgumentException($"candidates[{i}] is null.", nameof(candidates));
            if (string.IsNullOrEmpty(c.Id))
            {
                throw new ArgumentException($"candidates[{i}] has no id.", nameof(candidates));
            }

            if (!ids.Add(c.Id))
            {
                throw new ArgumentException($"candidate id '{c.Id}' appears twice.", nameof(candidates));
            }

            if (double.IsNaN(c.Score))
            {
                throw new ArgumentException($"candidate '{c.Id}' has a NaN score.", nameof(candidates));
            }

            if (c.Predicted < 0)
            {
                throw new ArgumentException($"candidate '{c.Id}' has predicted class {c.Predicted}.", nameof(candidates));
            }

            foreach (OodGate gate in options.ExcludeOod ? options.Gates : [])
            {
                if (c.OodValues is null || !c.OodValues.TryGetValue(gate.Score, out double value))
                {
                    throw new ArgumentException($"candidate '{c.Id}' has no {gate.Score} score for the OOD gate.", nameof(candidates));
                }

                if (double.IsNaN(value))
                {
                    throw new ArgumentException($"candidate '{c.Id}' has a NaN {gate.Score} score for the OOD gate.", nameof(candidates));
                }
            }

            if (options.DiversityFactor is not null)
            {
                if (context is null)
                {
                    throw new ArgumentException("Diversity needs the scoring context (reference set and statistics).", nameof(context));
                }

                if (c.State is null || c.State.Length != context.Reference.Dimension)
                {
                    throw new ArgumentException($"candidate '{c.Id}' needs a state vector of length {context.Reference.Dimension} for diversity.", nameof(candidates));
                }

                if (c.Predicted >= context.Reference.ClassCount)
                {
                    throw new ArgumentException($"candidate '{c.Id}' has predicted class {c.Predicted}, outside 0..{context.Reference.ClassCount - 1}.", nameof(candidates));
                }

                if (FiniteValues.IndexOfNonFinite(c.State) >= 0)
                {
                    throw new ArgumentException($"candidate '{c.Id}' has a non-finite state value.", nameof(candidates));
                }
            }
        }
    }
}
