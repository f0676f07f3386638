namespace SisomCluster.Inference.Pools;

/// <summary>
/// A pool source that lies outside the allowed roots (<see cref="PoolRoots"/>). Its message names no path: it may reach
/// an API client, and whether a path outside exists is none of the client's business.
/// </summary>
public sealed class PoolOutsideRootsException : UnauthorizedAccessException
{
    public const string DefaultMessage = "the source lies outside the folders this server allows pools in (Pools__AllowedRoots).";

    public PoolOutsideRootsException()
        : base(DefaultMessage)
    {
    }

    public PoolOutsideRootsException(string message)
        : base(message)
    {
    }

    public PoolOutsideRootsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
