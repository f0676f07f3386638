namespace SisomCluster.Server.Worker;

/// <summary>Why a worker stopped working on a shard before committing it (<see cref="LeaseHeartbeat"/>).</summary>
internal enum LeaseLoss
{
    /// <summary>The heartbeat found the lease gone: re-issued as another attempt, or the shard finished elsewhere.</summary>
    Taken = 1,

    /// <summary>The lease could not be renewed before it ran out (the database unreachable for too long).</summary>
    Expired = 2,

    /// <summary>A heartbeat fault that retrying does not cure.</summary>
    Failed = 3,
}
