namespace SisomCluster.Server.Worker;

/// <summary>An item with no score and its reason code (<c>item_errors</c>): a decode failure or an unreadable file.</summary>
public sealed record FailedItem(string Id, string Reason, string Detail);
