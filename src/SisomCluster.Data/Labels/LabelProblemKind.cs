namespace SisomCluster.Data.Labels;

public enum LabelProblemKind
{
    /// <summary>Not two comma-separated fields, an empty id, or an unterminated quote.</summary>
    Malformed,

    /// <summary>Not an integer in 0..K−1 nor one of the class names.</summary>
    BadLabel,

    /// <summary>The item id is not in the pool.</summary>
    UnknownItem,

    /// <summary>The same id with a different label, earlier in the file or already stored.</summary>
    Conflict,
}
