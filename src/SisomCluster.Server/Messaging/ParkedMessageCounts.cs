namespace SisomCluster.Server.Messaging;

/// <summary>The last count of the parking queues: every <c>_error</c>/<c>_skipped</c> queue of the cluster's consumer endpoints.</summary>
/// <param name="Queues">Each queue's message count, zero ones included.</param>
/// <param name="CheckedAt">When the broker was asked.</param>
public sealed record ParkedMessageCounts(IReadOnlyDictionary<string, long> Queues, DateTimeOffset CheckedAt)
{
    public long Total => Queues.Values.Sum();
}
