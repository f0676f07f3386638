namespace SisomCluster.Data.Results;

/// <summary>
/// One column of a binary COPY: its name and how a row's value is encoded (<see cref="BinaryCopyWriter"/>, typed, no
/// boxing). A table of these is both the COPY column list and the row writer, so the two cannot disagree.
/// </summary>
internal sealed class CopyColumn<TRow>
{
    private readonly Action<BinaryCopyWriter, TRow> _write;

    private CopyColumn(string name, Action<BinaryCopyWriter, TRow> write)
    {
        Name = name;
        _write = write;
    }

    public string Name { get; }

    public void Write(BinaryCopyWriter writer, TRow row) => _write(writer, row);

    public static CopyColumn<TRow> Uuid(string name, Func<TRow, Guid> value) => new(name, (w, row) => w.WriteUuid(value(row)));

    public static CopyColumn<TRow> Integer(string name, Func<TRow, int> value) => new(name, (w, row) => w.WriteInt32(value(row)));

    public static CopyColumn<TRow> Double(string name, Func<TRow, double> value) => new(name, (w, row) => w.WriteDouble(value(row)));

    /// <summary>A <c>double precision</c> column that is NULL when the value is null.</summary>
    public static CopyColumn<TRow> Double(string name, Func<TRow, double?> value) =>
        new(name, (w, row) =>
        {
            if (value(row) is { } v)
            {
                w.WriteDouble(v);
            }
            else
            {
                w.WriteNull();
            }
        });

    public static CopyColumn<TRow> Boolean(string name, Func<TRow, bool> value) => new(name, (w, row) => w.WriteBoolean(value(row)));

    /// <summary>A <c>text</c> column that is NULL when the value is null.</summary>
    public static CopyColumn<TRow> Text(string name, Func<TRow, string?> value) => OrNull(name, value, static (w, v) => w.WriteText(v));

    public static CopyColumn<TRow> TimestampTz(string name, Func<TRow, DateTimeOffset> value) => new(name, (w, row) => w.WriteTimestampTz(value(row)));

    /// <summary>A pgvector <c>vector</c> column that is NULL when the value is null.</summary>
    public static CopyColumn<TRow> Vector(string name, Func<TRow, float[]?> value) => OrNull(name, value, static (w, v) => w.WriteVector(v));

    private static CopyColumn<TRow> OrNull<T>(string name, Func<TRow, T?> value, Action<BinaryCopyWriter, T> write)
        where T : class =>
        new(name, (w, row) =>
        {
            if (value(row) is { } v)
            {
                write(w, v);
            }
            else
            {
                w.WriteNull();
            }
        });
}
