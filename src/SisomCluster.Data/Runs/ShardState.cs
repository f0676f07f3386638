namespace SisomCluster.Data.Runs;

/// <summary>Stored as lower-case text (<c>shards.state</c>). <see cref="Done"/> and <see cref="Failed"/> are final.</summary>
public enum ShardState
{
    Pending,
    Leased,
    Done,
    Failed,
}
