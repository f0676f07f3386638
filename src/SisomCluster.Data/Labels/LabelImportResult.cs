namespace SisomCluster.Data.Labels;

/// <param name="Added">Items that had no label before.</param>
/// <param name="Unchanged">Items that already had the same label (and items repeated in the file with the same label count once).</param>
/// <param name="Changed">Always 0: a different label for a labeled item is a <see cref="LabelProblemKind.Conflict"/>, not an update.</param>
public sealed record LabelImportResult(Guid ImportId, int Added, int Unchanged, int Changed);
