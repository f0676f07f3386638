namespace SisomCluster.Inference.Sources;

/// <summary>A read from object storage that failed: the message names the s3:// location and the store's answer.</summary>
public sealed class S3ReadException : IOException
{
    public S3ReadException()
    {
    }

    public S3ReadException(string message)
        : base(message)
    {
    }

    public S3ReadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public S3ReadException(string message, bool transient, Exception? innerException = null)
        : base(message, innerException)
    {
        Transient = transient;
    }

    /// <summary>Whether trying again may succeed (a 5xx, a throttle, a cut connection).</summary>
    public bool Transient { get; }
}
