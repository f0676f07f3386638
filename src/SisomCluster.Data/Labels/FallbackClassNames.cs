namespace SisomCluster.Data.Labels;

/// <summary>
/// Class names a label file may use when its import gives none (e.g. the model manifest's <c>class_names</c>): a label that
/// is not an integer is looked up here; integer labels are taken as they are (not bounded by <see cref="Names"/>, since a
/// head fitted on the labels may have other classes than the manifest's).
/// </summary>
/// <param name="Origin">Where the names come from, for the problem text (e.g. <c>model small-named's manifest</c>).</param>
/// <param name="Names">The names in class-index order.</param>
public sealed record FallbackClassNames(string Origin, IReadOnlyList<string> Names);
