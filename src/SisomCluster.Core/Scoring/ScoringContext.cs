using SisomCluster.Core.Baselines;
using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Reference;
using SisomCluster.Core.States;

namespace SisomCluster.Core.Scoring;

/// <summary>
/// Everything a worker needs to score items, computed once (SISOM.md §6, ARCHITECTURE.md §4): head,
/// α, reference states and margins, ID statistics, SISOMe weight and OOD thresholds. Immutable.
/// </summary>
public sealed class ScoringContext
{
    private ScoringContext(
        LinearHead head,
        double alpha,
        ReferenceSet reference,
        IdStatistics statistics,
        double sisomeWeight,
        double quantile,
        double thresholdSisom,
        double thresholdSisome,
        int neighbourRank,
        IReadOnlyList<AlphaCandidate> alphaGrid,
        IReadOnlyList<StateLayer> layers,
        KnnScorer? knn,
        double thresholdKnn,
        double thresholdEnergy,
        IReadOnlyDictionary<double, ReferenceState>? referenceStates)
    {
        Head = head;
        Alpha = alpha;
        Reference = reference;
        Statistics = statistics;
        SisomeWeight = sisomeWeight;
        Quantile = quantile;
        ThresholdSisom = thresholdSisom;
        ThresholdSisome = thresholdSisome;
        NeighbourRank = neighbourRank;
        AlphaGrid = alphaGrid;
        Layers = layers;
        Knn = knn;
        ThresholdKnn = knn is null ? double.NaN : thresholdKnn;
        ThresholdEnergy = thresholdEnergy;
        ReferenceStates = referenceStates ?? new Dictionary<double, ReferenceState>();
    }

    public LinearHead Head { get; }

    public double Alpha { get; }

    public ReferenceSet Reference { get; }

    public IdStatistics Statistics { get; }

    public double SisomeWeight { get; }

    public double Quantile { get; }

    /// <summary>τ for SISOM: the nearest-rank q-quantile of the reference items' leave-one-out scores.</summary>
    public double ThresholdSisom { get; }

    public double ThresholdSisome { get; }

    public int NeighbourRank { get; }

    /// <summary>
    /// The KNN score's reference bank (the reference items' features h, L2-normalised inside) and its k (SISOM.md §7.1);
    /// null for a stored context from before KNN was stored, whose items then get no KNN score (NaN, never flagged).
    /// </summary>
    public KnnScorer? Knn { get; }

    /// <summary>τ for KNN: the nearest-rank q-quantile of the reference items' leave-one-out KNN scores; NaN without <see cref="Knn"/>.</summary>
    public double ThresholdKnn { get; }

    /// <summary>τ for the energy E: the nearest-rank q-quantile of the reference items' energies (E does not depend on T); NaN when unknown.</summary>
    public double ThresholdEnergy { get; }

    /// <summary>Precision of states and distances (that of the reference set).</summary>
    public ScoringPrecision Precision => Reference.StateVectors.Precision;

    /// <summary>
    /// The intermediate layers whose states follow s_pen in z, in order (SISOM.md §3.2–§3.3); empty when SISOM
    /// runs on s_pen alone. <see cref="Alpha"/> is α_pen; each layer carries its own α.
    /// </summary>
    public IReadOnlyList<StateLayer> Layers { get; }

    /// <summary>Length of z: D plus the width of every layer.</summary>
    public int StateDimension => Head.FeatureDimension + Layers.Sum(l => l.Width);

    /// <summary>r_avg at every α tried (one entry when α was fixed).</summary>
    public IReadOnlyList<AlphaCandidate> AlphaGrid { get; }

    /// <summary>
    /// The margins and leave-one-out neighbours at every α tried (<see cref="ReferenceState"/>), which the next
    /// reference-set version updates instead of recomputing (<see cref="ReferenceReuse"/>); empty for a context
    /// reassembled from parts without them.
    /// </summary>
    public IReadOnlyDictionary<double, ReferenceState> ReferenceStates { get; }

    /// <summary>
    /// Builds the context from labeled reference features: chooses α (or takes the fixed one),
    /// computes states, margins, leave-one-out ratios, statistics and thresholds on T. With
    /// <paramref name="referenceLayerStates"/> (from an augmented model), z = concat(s_pen, s_j…) and the search
    /// tunes α_pen only: the layers' α are fixed where their states were computed. With <paramref name="reuse"/> (the
    /// previous reference-set version's states, same head and layers), margins and leave-one-out neighbours are updated at
    /// each α the previous version evaluated (<see cref="ReferenceState.Update"/>, O(n·|T|·D) for n added items) rather than
    /// recomputed (O(|T|²·D)); the result is the same.
    /// </summary>
    public static ScoringContext Build(LinearHead head, FeatureMatrix referenceFeatures, int[] referenceLabels, ScoringContextOptions? options = null, LayerStates? referenceLayerStates = null, ReferenceReuse? reuse = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(referenceFeatures);
        ArgumentNullException.ThrowIfNull(referenceLabels);
        options ??= new ScoringContextOptions();
        options.Validate();
        if (referenceFeatures.Rows == 0)
        {
            throw new ArgumentException("The reference set is empty: SISOM needs labeled items.", nameof(referenceFeatures));
        }

        if (referenceFeatures.Columns != head.FeatureDimension)
        {
            throw new ArgumentException($"reference features have D = {referenceFeatures.Columns}, the head expects D = {head.FeatureDimension}.", nameof(referenceFeatures));
        }

        if (referenceLabels.Length != referenceFeatures.Rows)
        {
            throw new ArgumentException($"reference labels have {referenceLabels.Length} entries for {referenceFeatures.Rows} reference items.", nameof(referenceLabels));
        }

        if (referenceLayerStates is not null && referenceLayerStates.Rows != referenceFeatures.Rows)
        {
            throw new ArgumentException($"reference layer states have {referenceLayerStates.Rows} rows for {referenceFeatures.Rows} reference items.", nameof(referenceLayerStates));
        }

        referenceFeatures.EnsureFinite("reference features");
        Guard.Labels(referenceLabels, head.ClassCount, "reference labels");

        if (reuse is not null && reuse.PreviousIndex.Length != referenceLabels.Length)
        {
            throw new ArgumentException($"reuse maps {reuse.PreviousIndex.Length} items, the reference set has {referenceLabels.Length}.", nameof(reuse));
        }

        double[] grid = options.Alpha is { } fixedAlpha ? [fixedAlpha] : [.. options.AlphaGrid];
        var states = new Dictionary<double, ReferenceState>();
        (Evaluated best, IReadOnlyList<AlphaCandidate> candidates) = AlphaSearch.Minimise(
            grid,
            alpha => Evaluate(head, referenceFeatures, referenceLabels, alpha, options, referenceLayerStates, reuse, states),
            evaluated => evaluated.Statistics.RAvg,
            nameof(referenceFeatures));

        double weight = options.SisomeWeight ?? ScoreFormulas.SelfBalancingWeight(best.Statistics);

        // KNN works on h, not on z: one bank whatever α is, and its threshold from each reference among the others.
        KnnScorer? knn = options.ComputeKnn ? new KnnScorer(referenceFeatures, options.KnnK, options.Search) : null;
        var looSisom = new double[referenceLabels.Length];
        var looSisome = new double[referenceLabels.Length];
        for (int i = 0; i < looSisom.Length; i++)
        {
            looSisom[i] = ScoreFormulas.Sisom(best.LooRatio[i], best.Statistics);
            looSisome[i] = ScoreFormulas.Sisome(best.LooRatio[i], best.Energy[i], weight, best.Statistics);
        }

        return new ScoringContext(
            head,
            best.Alpha,
            best.Reference,
            best.Statistics,
            weight,
            options.Quantile,
            Thresholds.NearestRank(looSisom, options.Quantile),
            Thresholds.NearestRank(looSisome, options.Quantile),
            options.NeighbourRank,
            candidates,
            referenceLayerStates?.Layers ?? [],
            knn,
            knn is null ? double.NaN : Thresholds.NearestRank(knn.LeaveOneOut(), options.Quantile),
            Thresholds.NearestRank(best.Energy, options.Quantile),
            states);
    }

    /// <summary>
    /// Reassembles a context from stored parts (the aggregator computes it once; workers load it).
    /// Nothing is recomputed: margins come with <paramref name="reference"/>, the KNN threshold with <paramref name="knn"/>
    /// (null, with <paramref name="thresholdKnn"/> NaN, for a context stored before KNN was).
    /// </summary>
    public static ScoringContext FromParts(
        LinearHead head,
        double alpha,
        ReferenceSet reference,
        IdStatistics statistics,
        double sisomeWeight,
        double quantile,
        double thresholdSisom,
        double thresholdSisome,
        int neighbourRank = 1,
        IReadOnlyList<AlphaCandidate>? alphaGrid = null,
        IReadOnlyList<StateLayer>? layers = null,
        KnnScorer? knn = null,
        double thresholdKnn = double.NaN,
        double thresholdEnergy = double.NaN,
        IReadOnlyDictionary<double, ReferenceState>? referenceStates = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(statistics);
        NeuronStates.ValidateAlpha(alpha);
        layers ??= [];
        LayerStates.Validate(layers);
        int stateDimension = head.FeatureDimension + layers.Sum(l => l.Width);
        if (reference.Dimension != stateDimension || reference.ClassCount != head.ClassCount)
        {
            throw new ArgumentException($"The reference set (state length {reference.Dimension}, K = {reference.ClassCount}) does not match the head and layers (D = {head.FeatureDimension} + layer widths = {stateDimension}, K = {head.ClassCount}).", nameof(reference));
        }

        if (!(statistics.SdR > 0) || !(statistics.SdE > 0))
        {
            throw new ArgumentException("ID statistics need positive spreads (sd_r, sd_E).", nameof(statistics));
        }

        if (!(sisomeWeight >= 0 && sisomeWeight <= 1))
        {
            throw new ArgumentException($"sisome weight = {sisomeWeight} must lie in [0, 1].", nameof(sisomeWeight));
        }

        Guard.Quantile(quantile, nameof(quantile));
        if (neighbourRank is < 1 or > 2)
        {
            throw new ArgumentException($"neighbour_rank must be 1 or 2, got {neighbourRank}.", nameof(neighbourRank));
        }

        if (knn is not null && (knn.Count != reference.Count || knn.ReferenceFeatures.Columns != head.FeatureDimension))
        {
            throw new ArgumentException($"The KNN bank ({knn.Count} × {knn.ReferenceFeatures.Columns}) does not match the reference set ({reference.Count} items) and head (D = {head.FeatureDimension}).", nameof(knn));
        }

        return new ScoringContext(head, alpha, reference, statistics, sisomeWeight, quantile, thresholdSisom, thresholdSisome, neighbourRank, alphaGrid ?? [new AlphaCandidate(alpha, statistics.RAvg, true)], layers, knn, thresholdKnn, thresholdEnergy, referenceStates);
    }

    /// <summary>Leave-one-out ratios of the reference items themselves, class = true label (SISOM.md §6).</summary>
    public static DistanceRatios LeaveOneOutRatios(ReferenceSet reference, Neighbours.NeighbourSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var self = new int[reference.Count];
        for (int i = 0; i < self.Length; i++)
        {
            self[i] = i;
        }

        return DistanceRatios.Compute(reference, reference.StateVectors, reference.Labels, self, neighbourRank: 1, options);
    }

    private static Evaluated Evaluate(LinearHead head, FeatureMatrix features, int[] labels, double alpha, ScoringContextOptions options, LayerStates? layerStates, ReferenceReuse? reuse, Dictionary<double, ReferenceState> evaluated)
    {
        (StateMatrix penultimate, FeatureMatrix logits) = NeuronStates.Compute(head, features, alpha, options.Precision, options.Search.MaxDegreeOfParallelism);
        StateMatrix states = NeuronStates.Concatenate(penultimate, layerStates);
        ReferenceState state = reuse is not null && reuse.StatesByAlpha.TryGetValue(alpha, out ReferenceState? previous)
            ? ReferenceState.Update(previous, states, labels, reuse.PreviousIndex, options.Search)
            : ReferenceState.Compute(states, labels, options.Search);
        evaluated[alpha] = state;
        var reference = new ReferenceSet(states, labels, head.ClassCount, state.Margins, options.Search);
        double[] looRatio = state.LooRatios();
        var energy = new double[labels.Length];
        for (int i = 0; i < energy.Length; i++)
        {
            energy[i] = ScoreFormulas.Energy(logits.Row(i));
        }

        return new Evaluated(alpha, reference, looRatio, energy, IdStatistics.Compute(looRatio, energy));
    }

    private sealed record Evaluated(double Alpha, ReferenceSet Reference, double[] LooRatio, double[] Energy, IdStatistics Statistics);
}
