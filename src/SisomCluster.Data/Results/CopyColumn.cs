using Npgsql;
using NpgsqlTypes;

namespace SisomCluster.Data.Results;

/// <summary>
/// One column of a binary COPY: its name and how a row's value is written (typed, no boxing). A table of these is both
/// the COPY column list and the row writer, so the two cannot disagree.
/// </summary>
internal sealed class CopyColumn<TRow>
{
    private readonly Func<NpgsqlBinaryImporter, TRow, CancellationToken, Task> _write;

    private CopyColumn(string name, Func<NpgsqlBinaryImporter, TRow, CancellationToken, Task> write)
    {
        Name = name;
        _write = write;
    }

    public string Name { get; }

    public Task WriteAsync(NpgsqlBinaryImporter importer, TRow row, CancellationToken cancellationToken) => _write(importer, row, cancellationToken);

    /// <summary>A column that is never NULL.</summary>
    public static CopyColumn<TRow> Of<T>(string name, NpgsqlDbType type, Func<TRow, T> value)
        where T : struct =>
        new(name, (importer, row, cancellationToken) => importer.WriteAsync(value(row), type, cancellationToken));

    /// <summary>A value-type column that is NULL when the value is null.</summary>
    public static CopyColumn<TRow> Nullable<T>(string name, NpgsqlDbType type, Func<TRow, T?> value)
        where T : struct =>
        new(name, (importer, row, cancellationToken) => value(row) is { } v ? importer.WriteAsync(v, type, cancellationToken) : importer.WriteNullAsync(cancellationToken));

    /// <summary>A reference-type column that is NULL when the value is null.</summary>
    public static CopyColumn<TRow> Nullable<T>(string name, NpgsqlDbType type, Func<TRow, T?> value)
        where T : class =>
        new(name, (importer, row, cancellationToken) => value(row) is { } v ? importer.WriteAsync(v, type, cancellationToken) : importer.WriteNullAsync(cancellationToken));

    /// <summary>A column of a type Npgsql knows by name only (pgvector's <c>vector</c>); NULL when the value is null.</summary>
    public static CopyColumn<TRow> Nullable<T>(string name, string dataTypeName, Func<TRow, T?> value)
        where T : class =>
        new(name, (importer, row, cancellationToken) => value(row) is { } v ? importer.WriteAsync(v, dataTypeName, cancellationToken) : importer.WriteNullAsync(cancellationToken));
}
