namespace SisomCluster.Inference.Files;

/// <summary>
/// A file written under a temporary name in the target directory and renamed over the target on
/// <see cref="Commit"/>. A run that fails part-way leaves neither a half-written file nor a temporary
/// one: readers of the output (scripts, the next pipeline step) see the old file or the complete new one.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private readonly string _path;
    private readonly string _temporaryPath;
    private readonly FileStream _stream;
    private bool _committed;
    private bool _disposed;

    private AtomicFile(string path, string temporaryPath, FileStream stream)
    {
        _path = path;
        _temporaryPath = temporaryPath;
        _stream = stream;
    }

    /// <summary>Where the content goes until <see cref="Commit"/>.</summary>
    public Stream Stream => _stream;

    public static AtomicFile Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"{path} names no file.", nameof(path));
        if (!Directory.Exists(directory))
        {
            // Say so plainly instead of letting FileStream name the temporary file.
            throw new DirectoryNotFoundException($"the directory {directory} does not exist");
        }

        // Same directory as the target, so the rename stays on one file system and is atomic.
        string temporaryPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        return new AtomicFile(fullPath, temporaryPath, stream);
    }

    /// <summary>Flushes the content to disk and moves it over the target path.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            return;
        }

        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(_temporaryPath, _path, overwrite: true);
        _committed = true;
    }

    /// <summary>Discards the temporary file unless <see cref="Commit"/> succeeded.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_committed)
        {
            return;
        }

        // The content is being discarded: a failure to flush or delete must not hide the error that got us here.
        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
        }

        try
        {
            File.Delete(_temporaryPath);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
