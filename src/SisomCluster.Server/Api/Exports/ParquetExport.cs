using System.Data;
using Npgsql;
using Parquet;
using Parquet.Schema;
using Pgvector;

namespace SisomCluster.Server.Api.Exports;

/// <summary>
/// Streams the rows of one SQL query into a Parquet file, row group by row group: the schema is taken from the query's
/// own column types (so a column added to the query, e.g. to <c>ItemScoreColumns</c>, appears without a list here), at
/// most <c>rowGroupRows</c> rows are held at once, and each finished row group leaves for the response before the next
/// is read. Every column is optional (nullable): the item columns come from a left join.
/// </summary>
internal static class ParquetExport
{
    /// <summary>Runs <paramref name="command"/> and writes its rows to <paramref name="body"/>; returns the row count.</summary>
    public static async Task<long> WriteAsync(NpgsqlCommand command, Stream body, int rowGroupRows, CancellationToken cancellationToken)
    {
        NpgsqlDataReader reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            ColumnBuffer[] columns = [.. Enumerable.Range(0, reader.FieldCount).Select(i => ColumnBuffer.For(reader.GetName(i), reader.GetFieldType(i), rowGroupRows))];
            var schema = new ParquetSchema(columns.Select(c => c.Field));
            var output = new RowGroupStream(body);
            await using (output.ConfigureAwait(false))
            {
                long total = 0;
                ParquetWriter writer = await ParquetWriter.CreateAsync(schema, output, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using (writer.ConfigureAwait(false))
                {
                    bool more = true;
                    while (more)
                    {
                        int rows = 0;
                        while (rows < rowGroupRows && (more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)))
                        {
                            for (int i = 0; i < columns.Length; i++)
                            {
                                columns[i].Read(reader, i, rows);
                            }

                            rows++;
                        }

                        // A file of no rows still has one (empty) row group, so every reader sees the schema.
                        if (rows > 0 || total == 0)
                        {
                            using (ParquetRowGroupWriter group = writer.CreateRowGroup())
                            {
                                foreach (ColumnBuffer column in columns)
                                {
                                    await column.WriteAsync(group, rows, cancellationToken).ConfigureAwait(false);
                                }
                            }

                            total += rows;
                            await output.SendAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }
                }

                await output.SendAsync(cancellationToken).ConfigureAwait(false);
                return total;
            }
        }
    }

    /// <summary>One column's values of the current row group, typed (no boxing), with the Parquet field they fill.</summary>
    private abstract class ColumnBuffer
    {
        public abstract Field Field { get; }

        public abstract void Read(NpgsqlDataReader reader, int ordinal, int row);

        public abstract Task WriteAsync(ParquetRowGroupWriter group, int rows, CancellationToken cancellationToken);

        public static ColumnBuffer For(string name, Type type, int capacity) => type switch
        {
            _ when type == typeof(string) => new Strings(name, capacity, (r, i) => r.GetString(i)),
            _ when type == typeof(Guid) => new Strings(name, capacity, (r, i) => r.GetGuid(i).ToString("D")),
            _ when type == typeof(int) => new Values<int>(new DataField<int?>(name, true), capacity, (r, i) => r.GetInt32(i)),
            _ when type == typeof(long) => new Values<long>(new DataField<long?>(name, true), capacity, (r, i) => r.GetInt64(i)),
            _ when type == typeof(double) => new Values<double>(new DataField<double?>(name, true), capacity, (r, i) => r.GetDouble(i)),
            _ when type == typeof(float) => new Values<float>(new DataField<float?>(name, true), capacity, (r, i) => r.GetFloat(i)),
            _ when type == typeof(bool) => new Values<bool>(new DataField<bool?>(name, true), capacity, (r, i) => r.GetBoolean(i)),
            _ when type == typeof(DateTime) => new Values<DateTime>(
                new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: true),
                capacity,
                (r, i) => DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc)),
            _ when type == typeof(Vector) => new Vectors(name, capacity),
            _ => throw new NotSupportedException($"column {name}: no Parquet mapping for {type.Name}."),
        };
    }

    private sealed class Values<T>(DataField dataField, int capacity, Func<NpgsqlDataReader, int, T> get) : ColumnBuffer
        where T : struct
    {
        private readonly T?[] _values = new T?[capacity];

        public override Field Field => dataField;

        public override void Read(NpgsqlDataReader reader, int ordinal, int row) =>
            _values[row] = reader.IsDBNull(ordinal) ? null : get(reader, ordinal);

        public override Task WriteAsync(ParquetRowGroupWriter group, int rows, CancellationToken cancellationToken) =>
            group.WriteAsync<T>(dataField, _values.AsMemory(0, rows), cancellationToken: cancellationToken);
    }

    private sealed class Strings(string name, int capacity, Func<NpgsqlDataReader, int, string> get) : ColumnBuffer
    {
        private readonly DataField<string> _field = new(name, true);
        private readonly string?[] _values = new string?[capacity];

        public override Field Field => _field;

        public override void Read(NpgsqlDataReader reader, int ordinal, int row) =>
            _values[row] = reader.IsDBNull(ordinal) ? null : get(reader, ordinal);

        public override Task WriteAsync(ParquetRowGroupWriter group, int rows, CancellationToken cancellationToken) =>
            group.WriteAsync(_field, new ArraySegment<string>(_values!, 0, rows));
    }

    /// <summary>pgvector's <c>vector</c> as a Parquet list of float; a NULL vector is a list holding one null.</summary>
    private sealed class Vectors : ColumnBuffer
    {
        private readonly DataField<float?> _element = new("element", true);
        private readonly ListField _field;
        private readonly float?[][] _values;

        public Vectors(string name, int capacity)
        {
            _field = new ListField(name, _element);
            _values = new float?[capacity][];
        }

        public override Field Field => _field;

        public override void Read(NpgsqlDataReader reader, int ordinal, int row) =>
            _values[row] = reader.IsDBNull(ordinal) ? [null] : [.. reader.GetFieldValue<Vector>(ordinal).Memory.ToArray().Select(v => (float?)v)];

        public override Task WriteAsync(ParquetRowGroupWriter group, int rows, CancellationToken cancellationToken)
        {
            int count = 0;
            for (int r = 0; r < rows; r++)
            {
                count += _values[r].Length;
            }

            var flat = new float?[count];
            int[] repetition = new int[count];
            int at = 0;
            for (int r = 0; r < rows; r++)
            {
                float?[] v = _values[r];
                v.CopyTo(flat, at);
                for (int j = 1; j < v.Length; j++)
                {
                    repetition[at + j] = 1;
                }

                at += v.Length;
            }

            return group.WriteAsync<float>(_element, flat.AsMemory(), repetition.AsMemory(), cancellationToken: cancellationToken);
        }
    }

    /// <summary>
    /// The writer's target: what Parquet.Net writes is gathered here (it needs <see cref="Stream.Position"/>, which a
    /// response body lacks) and sent on, asynchronously, after each row group; so at most one encoded row group is held.
    /// </summary>
    private sealed class RowGroupStream(Stream body) : Stream
    {
        private readonly MemoryStream _pending = new();
        private long _sent;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _sent + _pending.Length;

        public override long Position { get => Length; set => throw new NotSupportedException(); }

        public async Task SendAsync(CancellationToken cancellationToken)
        {
            if (_pending.Length == 0)
            {
                return;
            }

            await body.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), cancellationToken).ConfigureAwait(false);
            await body.FlushAsync(cancellationToken).ConfigureAwait(false);
            _sent += _pending.Length;
            _pending.SetLength(0);
        }

        public override void Write(byte[] buffer, int offset, int count) => _pending.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => _pending.Write(buffer);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            _pending.Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _pending.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _pending.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
