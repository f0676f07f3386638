namespace SisomCluster.Contracts.Http;

/// <summary>
/// Messages parked in the cluster's <c>_error</c>/<c>_skipped</c> queues at the last check (all runs together: the
/// broker does not say whose they are). Shown on runs not yet finished while any are parked.
/// </summary>
/// <param name="Messages">How many, over every parking queue.</param>
/// <param name="Queues">The parking queues that hold any, with their counts.</param>
/// <param name="CheckedAt">When the broker was last counted.</param>
/// <param name="Note">What it means for the run and what to do.</param>
public sealed record ParkedMessagesResponse(long Messages, IReadOnlyDictionary<string, long> Queues, DateTimeOffset CheckedAt, string Note);
