using System.Runtime.InteropServices;
using SisomCluster.Inference.Files;

namespace SisomCluster.Inference.Npy;

/// <summary>
/// Streams float32 rows of a fixed width into an .npy file whose row count is known only at the end:
/// rows go to a temporary file, <see cref="Commit"/> writes header + rows atomically. Memory stays flat.
/// </summary>
public sealed class NpyRowWriter : IDisposable
{
    private readonly string _path;
    private readonly string _rowsPath;
    private readonly FileStream _rows;
    private bool _committed;

    public NpyRowWriter(string path, int columns)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        _path = path;
        Columns = columns;
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        _rowsPath = Path.Combine(directory, $".{Path.GetFileName(path)}.rows-{Guid.NewGuid():N}");
        _rows = new FileStream(_rowsPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
    }

    public int Columns { get; }

    public int Rows { get; private set; }

    /// <summary>Appends rows (a whole number of <see cref="Columns"/>-wide rows).</summary>
    public void Append(ReadOnlySpan<float> rows)
    {
        if (rows.Length % Columns != 0)
        {
            throw new ArgumentException($"{rows.Length} values are not a whole number of {Columns}-wide rows.", nameof(rows));
        }

        _rows.Write(MemoryMarshal.AsBytes(rows));
        Rows += rows.Length / Columns;
    }

    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        using AtomicFile file = AtomicFile.Create(_path);
        NpyFile.WriteHeader(file.Stream, NpyDataType.Float32, [Rows, Columns]);
        _rows.Flush();
        _rows.Position = 0;
        _rows.CopyTo(file.Stream);
        file.Commit();
        _committed = true;
    }

    public void Dispose() => _rows.Dispose();
}
