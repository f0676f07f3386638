using System.Diagnostics;
using SisomCluster.Core;
using SisomCluster.Core.Baselines;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.Selection;
using SisomCluster.Core.States;

namespace SisomCluster.Lab.ActiveLearning;

/// <summary>
/// Pool-based active learning on frozen features: each round refits the logistic-regression head on the
/// labeled in-distribution items, measures test accuracy, and queries <see cref="ActiveLearningOptions.BatchSize"/>
/// unlabeled pool items with the chosen strategy. Pool items labeled −1 are OOD (the open-set variant):
/// querying one spends a label but adds nothing to the training set.
/// </summary>
public static class ActiveLearningSimulation
{
    public static ActiveLearningRun Run(
        FeatureMatrix pool,
        int[] poolLabels,
        int classCount,
        FeatureMatrix test,
        int[] testLabels,
        QueryStrategy strategy,
        int seed,
        ActiveLearningOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(poolLabels);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(testLabels);
        options ??= new ActiveLearningOptions();
        options.Validate();
        if (poolLabels.Length != pool.Rows)
        {
            throw new ArgumentException($"poolLabels has {poolLabels.Length} entries, the pool has {pool.Rows} rows.", nameof(poolLabels));
        }

        for (int i = 0; i < poolLabels.Length; i++)
        {
            if (poolLabels[i] < -1 || poolLabels[i] >= classCount)
            {
                throw new ArgumentException($"poolLabels[{i}] = {poolLabels[i]} is outside -1..{classCount - 1} (-1 = OOD).", nameof(poolLabels));
            }
        }

        if (test.Columns != pool.Columns)
        {
            throw new ArgumentException($"test features have D = {test.Columns}, the pool has D = {pool.Columns}.", nameof(test));
        }

        int[] inDistribution = Enumerable.Range(0, pool.Rows).Where(i => poolLabels[i] >= 0).ToArray();
        if (inDistribution.Length < options.InitialLabels)
        {
            throw new ArgumentException($"The pool has {inDistribution.Length} in-distribution items, fewer than the {options.InitialLabels} initial labels.", nameof(poolLabels));
        }

        var random = new Random(seed);
        Shuffle(inDistribution, random);
        var queried = new bool[pool.Rows];
        var labeled = new List<int>(inDistribution.Take(options.InitialLabels));
        foreach (int i in labeled)
        {
            queried[i] = true;
        }

        int spent = labeled.Count;
        int ood = 0;
        var spentPerRound = new List<int>();
        var accuracy = new List<double>();
        var oodPerRound = new List<int>();
        var selectionTime = new Stopwatch();
        for (int round = 0; ; round++)
        {
            int[] train = [.. labeled];
            FeatureMatrix trainFeatures = Rows(pool, train);
            int[] trainLabels = Array.ConvertAll(train, i => poolLabels[i]);
            LinearHead head = LogisticRegressionFitter.Fit(trainFeatures, trainLabels, classCount, options.Head).Head;
            spentPerRound.Add(spent);
            accuracy.Add(HeadEvaluation.Accuracy(head, test, testLabels));
            oodPerRound.Add(ood);
            if (round == options.Rounds)
            {
                break;
            }

            int[] unlabeled = Enumerable.Range(0, pool.Rows).Where(i => !queried[i]).ToArray();
            if (unlabeled.Length == 0)
            {
                break;
            }

            selectionTime.Start();
            int[] picks = Pick(strategy, pool, unlabeled, train, trainFeatures, trainLabels, head, queried, random, options);
            selectionTime.Stop();
            if (picks.Length == 0)
            {
                // A gated selection found no candidate left: the budget is not spent, the curve ends here.
                break;
            }

            foreach (int p in picks)
            {
                queried[p] = true;
                if (poolLabels[p] < 0)
                {
                    ood++;
                }
                else
                {
                    labeled.Add(p);
                }
            }

            spent += picks.Length;
        }

        return new ActiveLearningRun(strategy, seed, [.. spentPerRound], [.. accuracy], [.. oodPerRound], selectionTime.Elapsed.TotalSeconds);
    }

    private static int[] Pick(
        QueryStrategy strategy,
        FeatureMatrix pool,
        int[] unlabeled,
        int[] train,
        FeatureMatrix trainFeatures,
        int[] trainLabels,
        LinearHead head,
        bool[] queried,
        Random random,
        ActiveLearningOptions options)
    {
        int budget = Math.Min(options.BatchSize, unlabeled.Length);
        switch (strategy)
        {
            case QueryStrategy.Random:
                {
                    int[] copy = (int[])unlabeled.Clone();
                    Shuffle(copy, random);
                    return copy[..budget];
                }

            case QueryStrategy.Entropy:
            case QueryStrategy.Margin:
                {
                    FeatureMatrix features = Rows(pool, unlabeled);
                    var scores = new double[unlabeled.Length];
                    var logits = new float[head.ClassCount];
                    for (int i = 0; i < scores.Length; i++)
                    {
                        Logits(head, features.Row(i), logits);
                        LogitBaselines b = LogitBaselines.Compute(logits);
                        scores[i] = strategy == QueryStrategy.Entropy ? b.Entropy : b.Margin;
                    }

                    return TopByScore(unlabeled, scores, budget);
                }

            case QueryStrategy.CoreSet:
                {
                    int[] centres = Enumerable.Range(0, pool.Rows).Where(i => queried[i]).ToArray();
                    return KCenterGreedy.Select(pool, centres, unlabeled, budget);
                }

            case QueryStrategy.Sisom:
            case QueryStrategy.Sisome:
            case QueryStrategy.SisomDiversity:
            case QueryStrategy.SisomProduction:
            case QueryStrategy.SisomGuarded:
            case QueryStrategy.SisomGuardedBalanced:
                return PickBySisom(strategy, pool, unlabeled, trainFeatures, trainLabels, head, budget, options);

            default:
                throw new ArgumentOutOfRangeException(nameof(strategy), strategy, $"Unknown query strategy {strategy} (train set of {train.Length}).");
        }
    }

    private static int[] PickBySisom(QueryStrategy strategy, FeatureMatrix pool, int[] unlabeled, FeatureMatrix trainFeatures, int[] trainLabels, LinearHead head, int budget, ActiveLearningOptions options)
    {
        ScoringContext context = ScoringContext.Build(head, trainFeatures, trainLabels, options.Scoring);
        SisomScoreBatch batch = new SisomScorer(context, options.Scoring.Search).Score(Rows(pool, unlabeled));
        bool useSisome = strategy == QueryStrategy.Sisome;
        bool diverse = strategy == QueryStrategy.SisomDiversity;
        bool guarded = strategy is QueryStrategy.SisomGuarded or QueryStrategy.SisomGuardedBalanced;
        bool production = guarded || strategy == QueryStrategy.SisomProduction;
        var candidates = new SelectionCandidate[unlabeled.Length];
        for (int i = 0; i < candidates.Length; i++)
        {
            // The production selections flag by the run's OOD score at q, as the aggregator does (item_scores.ood_<score>).
            bool flagged = production ? OodScores.Flagged(batch[i], options.OodScore) : useSisome ? batch.OodSisome[i] : batch.OodSisom[i];
            candidates[i] = new SelectionCandidate(Id(i), useSisome ? batch.Sisome[i] : batch.Sisom[i], batch.Predicted[i], flagged)
            {
                State = diverse ? batch.States.Row(i).ToArray() : null,
                DIn = batch.Ratios.DIn[i],
                DOut = batch.Ratios.DOut[i],
                Energy = batch.Energy[i],
                OodValues = guarded
                    ? new Dictionary<string, double>(StringComparer.Ordinal) { [OodScores.Sisom] = batch.Sisom[i], [OodScores.Sisome] = batch.Sisome[i], [OodScores.Knn] = batch.Knn[i], [OodScores.Energy] = batch.Energy[i] }
                    : null,
            };
        }

        // The paper's AL criterion is plain top-B of the score: the most surprising items are the most informative; the OOD
        // exclusion of production selection (§8.3 step 1) is left off there. The production strategies take the product's
        // own options (SelectionOptions.For: exclusion on, and the guarded default's gate).
        SelectionOptions selection = production
            ? SelectionOptions.For(guarded ? SelectionPolicy.Guarded : SelectionPolicy.Threshold, budget, context, options.GateScore, options.GateQuantile) with
            {
                ClassQuotas = strategy == QueryStrategy.SisomGuardedBalanced ? SelectionOptions.BalancedQuotas(budget, head.ClassCount) : null,
            }
            : new SelectionOptions
            {
                Budget = budget,
                ExcludeOod = false,
                DiversityFactor = diverse ? options.DiversityFactor : null,
                ScoreKind = useSisome ? SelectionScore.Sisome : SelectionScore.Sisom,
            };
        return ActiveLearningSelector.Select(candidates, selection, context)
            .Select(s => unlabeled[int.Parse(s.Id, System.Globalization.CultureInfo.InvariantCulture)])
            .ToArray();
    }

    /// <summary>Zero-padded, so the selector's ordinal id tie-break is the pool order.</summary>
    private static string Id(int i) => i.ToString("D9", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The <paramref name="budget"/> highest scores; ties by lower position.</summary>
    internal static int[] TopByScore(int[] items, double[] scores, int budget)
    {
        int[] order = Enumerable.Range(0, items.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(budget).ToArray();
        return Array.ConvertAll(order, i => items[i]);
    }

    private static void Logits(LinearHead head, ReadOnlySpan<float> h, Span<float> logits)
    {
        int d = head.FeatureDimension;
        for (int k = 0; k < head.ClassCount; k++)
        {
            double sum = head.Bias[k];
            ReadOnlySpan<double> w = head.Weights.AsSpan(k * d, d);
            for (int j = 0; j < d; j++)
            {
                sum += w[j] * h[j];
            }

            logits[k] = (float)sum;
        }
    }

    internal static FeatureMatrix Rows(FeatureMatrix source, int[] rows)
    {
        var data = new float[rows.Length * source.Columns];
        for (int i = 0; i < rows.Length; i++)
        {
            source.Row(rows[i]).CopyTo(data.AsSpan(i * source.Columns, source.Columns));
        }

        return new FeatureMatrix(data, rows.Length, source.Columns);
    }

    private static void Shuffle(int[] values, Random random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
