namespace SisomCluster.Contracts.Http;

/// <summary>One page of a list: pass <see cref="NextPageToken"/> as <c>page_token</c> for the next; null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextPageToken);
