using System.Numerics.Tensors;
using SisomCluster.Core.Neighbours;
using SisomCluster.Core.Scoring;

namespace SisomCluster.Core.Selection;

/// <summary>
/// SISOM-native diversity (SISOM.md §8.3 step 4). Walk the top M = ⌈factor·B⌉ candidates. A
/// selected x becomes a reference of class ŷ(x) with margin m(x) (its distance to the nearest
/// reference or selected item of another class). Every remaining candidate y of that class takes
/// d_in(y) = min(d_in(y), ‖z(y) − z(x)‖); when x is now y's nearest reference, d_out(y) = m(x),
/// r and the score are recomputed and y is re-queued under a new version; stale queue entries are
/// skipped when popped (lazy deletion). Exact duplicates of a chosen item drop out. When the
/// window empties before B items are chosen, the next M candidates join it.
/// </summary>
internal sealed class DiverseSelection
{
    private readonly SelectionCandidate[] _ordered;
    private readonly SelectionOptions _options;
    private readonly ScoringContext _context;
    private readonly int _window;
    private readonly PackedRows<float> _references;
    private readonly double[] _dIn;
    private readonly double[] _dOut;
    private readonly double[] _score;
    private readonly int[] _version;
    private readonly bool[] _active;
    private readonly Dictionary<int, List<int>> _activeByClass = [];
    private readonly List<(float[] State, int Predicted)> _selected = [];
    private readonly PriorityQueue<(int Index, int Version), (double Score, string Id)> _queue = new(HigherScoreFirst.Instance);
    private int _next;

    public DiverseSelection(SelectionCandidate[] ordered, SelectionOptions options, ScoringContext context, double factor)
    {
        _ordered = ordered;
        _options = options;
        _context = context;
        _window = (int)Math.Min(int.MaxValue, Math.Ceiling(factor * options.Budget));
        _references = PackedRows<float>.All(context.Reference.States);
        int n = ordered.Length;
        _dIn = new double[n];
        _dOut = new double[n];
        _score = new double[n];
        _version = new int[n];
        _active = new bool[n];
    }

    public List<(SelectionCandidate, double)> Run()
    {
        var chosen = new List<(SelectionCandidate, double)>(_options.Budget);
        var perClass = new Dictionary<int, int>();
        while (chosen.Count < _options.Budget)
        {
            if (_queue.Count == 0 && !AdmitNextWindow())
            {
                break;
            }

            if (!_queue.TryDequeue(out (int Index, int Version) entry, out _) || !_active[entry.Index] || _version[entry.Index] != entry.Version)
            {
                continue;
            }

            int x = entry.Index;
            SelectionCandidate candidate = _ordered[x];
            Deactivate(x);
            if (ActiveLearningSelector.QuotaFull(_options, perClass, candidate.Predicted))
            {
                continue;
            }

            perClass[candidate.Predicted] = perClass.GetValueOrDefault(candidate.Predicted) + 1;
            chosen.Add((candidate, _score[x]));
            AddAsReference(candidate);
        }

        return chosen;
    }

    /// <summary>Moves the next M candidates into the window, applying every selection made so far.</summary>
    private bool AdmitNextWindow()
    {
        if (_next >= _ordered.Length)
        {
            return false;
        }

        int end = (int)Math.Min(_ordered.Length, (long)_next + _window);
        for (int i = _next; i < end; i++)
        {
            SelectionCandidate c = _ordered[i];
            _dIn[i] = c.DIn;
            _dOut[i] = c.DOut;
            _score[i] = c.Score;
            _active[i] = true;
            if (!_activeByClass.TryGetValue(c.Predicted, out List<int>? members))
            {
                _activeByClass[c.Predicted] = members = [];
            }

            members.Add(i);
            foreach ((float[] state, int predicted) in _selected.Where(s => s.Predicted == c.Predicted))
            {
                _ = Update(i, state, MarginOf(state, predicted));
            }

            if (_active[i])
            {
                _queue.Enqueue((i, _version[i]), (_score[i], c.Id));
            }
        }

        _next = end;
        return true;
    }

    private void AddAsReference(SelectionCandidate x)
    {
        float[] state = x.State!;
        double margin = MarginOf(state, x.Predicted);
        _selected.Add((state, x.Predicted));
        if (!_activeByClass.TryGetValue(x.Predicted, out List<int>? members))
        {
            return;
        }

        foreach (int y in members.ToArray())
        {
            if (Update(y, state, margin))
            {
                _queue.Enqueue((y, _version[y]), (_score[y], _ordered[y].Id));
            }
        }
    }

    /// <summary>Applies a new same-class reference to candidate y; true when y was re-scored and must be re-queued.</summary>
    private bool Update(int y, float[] referenceState, double margin)
    {
        double d = TensorPrimitives.Distance(_ordered[y].State!, referenceState);
        if (d == 0)
        {
            Deactivate(y);
            return false;
        }

        if (!(d < _dIn[y]))
        {
            return false;
        }

        _dIn[y] = d;
        _dOut[y] = margin;
        double ratio = margin == 0 ? DistanceRatios.ZeroMarginRatio : d / margin;
        _score[y] = _options.ScoreKind == SelectionScore.Sisome
            ? ScoreFormulas.Sisome(ratio, _ordered[y].Energy, _context.SisomeWeight, _context.Statistics)
            : ScoreFormulas.Sisom(ratio, _context.Statistics);
        _version[y]++;
        return true;
    }

    /// <summary>m(x): distance to the nearest reference, or already selected item, of another class.</summary>
    private double MarginOf(float[] state, int predicted)
    {
        var query = PackedRows<float>.All(new FeatureMatrix(state, 1, state.Length));
        var job = new SearchJob<float>(query, _references, 1) { ExcludeLabel = [predicted], ReferenceLabels = _context.Reference.Labels };
        NeighbourSearch.Run([job], NeighbourSearchOptions.Default with { MaxDegreeOfParallelism = 1 });
        double margin = job.Has(0, 0) ? job.Distance(0, 0) : double.PositiveInfinity;
        foreach ((float[] other, int otherClass) in _selected)
        {
            if (otherClass != predicted)
            {
                margin = Math.Min(margin, TensorPrimitives.Distance(state, other));
            }
        }

        return margin;
    }

    private void Deactivate(int index)
    {
        if (_active[index])
        {
            _active[index] = false;
            _activeByClass[_ordered[index].Predicted].Remove(index);
        }
    }

    private sealed class HigherScoreFirst : IComparer<(double Score, string Id)>
    {
        public static readonly HigherScoreFirst Instance = new();

        public int Compare((double Score, string Id) a, (double Score, string Id) b)
        {
            int byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(a.Id, b.Id);
        }
    }
}
