using SisomCluster.Contracts;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>One finished delivery of a <see cref="ScoreShard"/>: <paramref name="Fault"/> is null when the consumer returned.</summary>
internal sealed record ConsumedShard(ScoreShard Message, Guid? MessageId, Exception? Fault, DateTime At);
