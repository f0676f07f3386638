namespace SisomCluster.Data.Results;

/// <summary>An item that could not be scored, with a reason code (<c>corrupt</c>, <c>truncated</c>, <c>empty</c>, ...), never a silent gap.</summary>
public sealed class ItemError
{
    public Guid RunId { get; set; }

    public required string ItemId { get; set; }

    public int ShardId { get; set; }

    public required string Reason { get; set; }

    public required string Detail { get; set; }

    public DateTimeOffset At { get; set; }
}
