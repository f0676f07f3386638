using System.Runtime.ExceptionServices;
using SisomCluster.Core;
using SisomCluster.Core.States;
using SisomCluster.Inference.Heads;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Cli.Offline;

/// <summary>
/// The input files of an offline scoring run, loaded and checked against each other. Core would reject
/// inconsistent shapes too, but it knows matrices, not files: every check here names the file (and the
/// row, column or line) the user has to fix. The reference set and the head are read whole; the queries are
/// streamed a block of rows at a time (<see cref="ReadQueries"/>), so memory grows with the block, not the pool.
/// </summary>
public sealed class ScoreInputs : IDisposable
{
    private readonly NpyRowReader _queries;
    private readonly string _queriesPath;

    private ScoreInputs(LinearHead head, FeatureMatrix referenceFeatures, int[] referenceLabels, NpyRowReader queries, string queriesPath)
    {
        Head = head;
        ReferenceFeatures = referenceFeatures;
        ReferenceLabels = referenceLabels;
        _queries = queries;
        _queriesPath = queriesPath;
    }

    public LinearHead Head { get; }

    public FeatureMatrix ReferenceFeatures { get; }

    public int[] ReferenceLabels { get; }

    /// <summary>Rows of the query file.</summary>
    public int QueryCount => _queries.Rows;

    /// <summary>Query rows read so far: the index of the next one.</summary>
    public int QueriesRead => _queries.Position;

    /// <summary>
    /// The next block of query rows (at most <paramref name="buffer"/>'s length / D of them; the matrix wraps
    /// <paramref name="buffer"/> unless the block is shorter), or null when every row has been read. A NaN or infinity
    /// is an error naming its row and column in the file; rows before it have been read, nothing is skipped.
    /// </summary>
    public FeatureMatrix? ReadQueries(float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        int d = Head.FeatureDimension;
        int rows = _queries.Read(buffer, out NpyNonFinite? nonFinite);
        if (nonFinite is { } bad)
        {
            throw new UsageException($"{_queriesPath}: {bad.Value} at row {bad.Row}, column {bad.Column}; every value must be finite.");
        }

        return rows == 0 ? null
            : rows * d == buffer.Length ? new FeatureMatrix(buffer, rows, d)
            : new FeatureMatrix(buffer.AsSpan(0, rows * d).ToArray(), rows, d);
    }

    public void Dispose() => _queries.Dispose();

    /// <summary>
    /// Loads the inputs. The head comes from <paramref name="headPath"/> (a head JSON from
    /// <c>offline fit-head</c>) or from <paramref name="headWeightsPath"/> and <paramref name="headBiasPath"/>.
    /// </summary>
    public static ScoreInputs Load(string referencePath, string referenceLabelsPath, string? headWeightsPath, string? headBiasPath, string? headPath, string queriesPath)
    {
        (LinearHead head, string headFile) = headPath is not null
            ? LoadHeadFile(headPath)
            : LoadHeadNpy(headWeightsPath ?? throw new UsageException("give --head, or --head-weights and --head-bias."), headBiasPath ?? throw new UsageException("--head-weights needs --head-bias."));
        int k = head.ClassCount;
        int d = head.FeatureDimension;
        string headDescription = $"{headFile} is K x D = {k} x {d}";
        // The reference file is read while the query file's header is checked; both finish before anything is reported,
        // and a bad reference file is reported before a bad query file.
        (NpyArray? Array, ExceptionDispatchInfo? Error) referenceRead = default;
        (NpyRowReader? Reader, ExceptionDispatchInfo? Error) queriesOpened = default;
        Parallel.Invoke(
            () => referenceRead = TryReadFeatures(referencePath, "reference features", d, k, headDescription),
            () => queriesOpened = TryOpenQueries(queriesPath, d, k, headDescription));
        NpyRowReader? queries = queriesOpened.Reader;
        try
        {
            referenceRead.Error?.Throw();
            queriesOpened.Error?.Throw();
            NpyArray reference = referenceRead.Array!;
            if (!File.Exists(referenceLabelsPath))
            {
                throw new UsageException($"{referenceLabelsPath}: file not found.");
            }

            int[] labels = LabelFile.Read(referenceLabelsPath);
            if (labels.Length != reference.Shape[0])
            {
                throw new UsageException($"{referenceLabelsPath}: {labels.Length} labels for {reference.Shape[0]} reference rows in {referencePath}; there must be one label per row.");
            }

            LabelFile.EnsureInRange(labels, k, referenceLabelsPath, headFile);
            EnsureFinite(reference, referencePath);
            return new ScoreInputs(head, new FeatureMatrix(reference.ToSingle(), reference.Shape[0], d), labels, queries!, queriesPath);
        }
        catch
        {
            queries?.Dispose();
            throw;
        }
    }

    private static (LinearHead Head, string File) LoadHeadNpy(string headWeightsPath, string headBiasPath)
    {
        NpyArray weights = ReadNpy(headWeightsPath);
        if (weights.Rank != 2)
        {
            throw new UsageException($"{headWeightsPath}: head weights must be a 2-D array K x D, got shape {Shape(weights)}.");
        }

        int k = weights.Shape[0];
        int d = weights.Shape[1];
        if (k < 2 || d < 1)
        {
            throw new UsageException($"{headWeightsPath}: head weights must be K x D with K >= 2 classes and D >= 1 features, got shape {Shape(weights)}.");
        }

        NpyArray bias = ReadNpy(headBiasPath);
        if (bias.Rank != 1 || bias.Shape[0] != k)
        {
            throw new UsageException($"{headBiasPath}: head bias must be a 1-D array of K = {k} values ({headWeightsPath} is K x D = {k} x {d}), got shape {Shape(bias)}.");
        }

        EnsureFinite(weights, headWeightsPath);
        EnsureFinite(bias, headBiasPath);

        // The head stays in float64: at α in the thousands, rounding W to float32 moves the states (LinearHead).
        return (new LinearHead(weights.ToDouble(), bias.ToDouble(), k, d), headWeightsPath);
    }

    private static (LinearHead Head, string File) LoadHeadFile(string headPath)
    {
        if (!File.Exists(headPath))
        {
            throw new UsageException($"{headPath}: file not found.");
        }

        // A classifier model carries its own W and b in its final Gemm/MatMul.
        return headPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            ? (ModelPackage.ReadFinalLinearLayer(headPath), headPath)
            : (HeadFile.Read(headPath).ToLinearHead(), headPath);
    }

    /// <summary><see cref="ReadFeatures"/>, with its failure kept to be rethrown (on the calling thread, in the order chosen there).</summary>
    private static (NpyArray? Array, ExceptionDispatchInfo? Error) TryReadFeatures(string path, string what, int d, int k, string headDescription)
    {
        try
        {
            return (ReadFeatures(path, what, d, k, headDescription), null);
        }
        catch (Exception e)
        {
            return (null, ExceptionDispatchInfo.Capture(e));
        }
    }

    private static NpyArray ReadFeatures(string path, string what, int d, int k, string headDescription)
    {
        NpyArray features = ReadNpy(path);
        EnsureMatrix(path, what, features.Shape, d, k, headDescription);
        return features;
    }

    /// <summary>The query file opened and its header checked (shape rows x D); its rows are read later, a block at a time.</summary>
    private static (NpyRowReader? Reader, ExceptionDispatchInfo? Error) TryOpenQueries(string path, int d, int k, string headDescription)
    {
        NpyRowReader? reader = null;
        try
        {
            if (!File.Exists(path))
            {
                throw new UsageException($"{path}: file not found.");
            }

            reader = NpyRowReader.Open(path);
            EnsureMatrix(path, "query features", reader.Shape, d, k, headDescription);
            return (reader, null);
        }
        catch (Exception e)
        {
            reader?.Dispose();
            return (null, ExceptionDispatchInfo.Capture(e));
        }
    }

    private static void EnsureMatrix(string path, string what, IReadOnlyList<int> shape, int d, int k, string headDescription)
    {
        if (shape.Count != 2)
        {
            throw new UsageException($"{path}: {what} must be a 2-D array (rows x D), got shape {NpyFile.DescribeShape(shape.ToArray())}.");
        }

        if (shape[1] != d)
        {
            // Keras stores a Dense kernel as D x K; PyTorch and scikit-learn store K x D.
            string hint = shape[1] == k ? " (is the head transposed? W must be K x D)" : string.Empty;
            throw new UsageException($"{path}: {what} have D = {shape[1]} columns, but {headDescription}{hint}.");
        }
    }

    private static NpyArray ReadNpy(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"{path}: file not found.");
        }

        return NpyFile.Read(path);
    }

    private static void EnsureFinite(NpyArray array, string path)
    {
        int bad = array.IndexOfNonFinite();
        if (bad < 0)
        {
            return;
        }

        string position = array.Rank == 2
            ? $"row {bad / array.Shape[1]}, column {bad % array.Shape[1]}"
            : $"index {bad}";
        throw new UsageException($"{path}: {array.ValueAt(bad)} at {position}; every value must be finite.");
    }

    private static string Shape(NpyArray array) => NpyFile.DescribeShape(array.Shape.ToArray());
}
