namespace SisomCluster.Contracts.Http;

/// <summary>The body of <c>POST /api/v1/pools</c>.</summary>
/// <param name="Name">A unique pool name (1–200 characters).</param>
/// <param name="Source">Where the items are, as the server (its workers) reads it: a directory of images, a folder of
/// WebDataset .tar shards (or one .tar), a CSV/JSONL manifest, or an embeddings .npy with its ids file.</param>
/// <param name="Kind">directory, tar, manifest or embeddings; null: detected from the source.</param>
public sealed record RegisterPoolRequest(string? Name, string? Source, string? Kind)
{
    public const int MaxNameLength = 200;

    public const int MaxSourceLength = 4096;

    /// <returns>"field: problem", or null when the request is valid.</returns>
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Name) || Name.Length > MaxNameLength ? $"name: give 1 to {MaxNameLength} characters."
        : Name.Any(char.IsControl) || Name.Contains('/', StringComparison.Ordinal) || Name.Trim() is "." or ".." ? "name: no '/', no control characters, not '.' or '..'."
        : string.IsNullOrWhiteSpace(Source) || Source.Length > MaxSourceLength ? $"source: give a path the server can read (at most {MaxSourceLength} characters)."
        : null;
}
