using Npgsql;
using NpgsqlTypes;
using Pgvector;
using SisomCluster.Data.Results;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Results;

/// <summary>
/// The score rows' binary COPY encoder (<see cref="BinaryCopyWriter"/>, through <see cref="ItemScoreColumns.CopyAsync"/>)
/// against Npgsql's own typed importer as the oracle: the same rows, edge values included, land as the same values; a row
/// that cannot be encoded stops the COPY without landing the rows before it.
/// </summary>
public sealed class BinaryCopyWriterTests : IClassFixture<DatabaseFixture>
{
    private readonly DatabaseFixture _fixture;

    public BinaryCopyWriterTests(DatabaseFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Every_column_lands_as_npgsqls_own_importer_lands_it()
    {
        Guid runId = Guid.NewGuid();
        Guid contextId = Guid.NewGuid();
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, 3000, dimension: 16);
        ItemScoreRow made = rows[0];
        var offset = new DateTimeOffset(2031, 7, 9, 23, 59, 59, TimeSpan.FromHours(-7)).AddTicks(12_345_678);
        rows.AddRange(
        [
            made with
            {
                ItemId = "crawl/müll/猫 🐈.jpg",
                NearestReference = null,
                Score = made.Score with
                {
                    DIn = double.PositiveInfinity,
                    DOut = double.NaN,
                    Ratio = double.NaN,
                    Knn = double.NaN,
                    Sisom = -0.0,
                    Sisome = double.Epsilon,
                    Predicted = int.MinValue,
                    Baselines = made.Score.Baselines with { Energy = double.NegativeInfinity, Msp = double.MaxValue },
                    NoReference = true,
                },
                ScoredAt = offset,
                Embedding = null,
            },

            // Longer than the encoder's buffer: it grows, the rows before it are kept.
            made with { ItemId = "long", NearestReference = new string('é', 150_000), ScoredAt = DateTimeOffset.UnixEpoch.AddTicks(-7) },
            made with { ItemId = "wide", Embedding = [.. Enumerable.Range(0, 2048).Select(i => (i - 1024) / 37f)], ScoredAt = offset.AddTicks(9) },
            made with { ItemId = string.Empty, Embedding = [-0f, float.Epsilon, float.MaxValue, -float.MaxValue] },
        ]);

        await using NpgsqlConnection connection = await _fixture.DataSource.OpenConnectionAsync();
        await ExecuteAsync(connection, "CREATE TEMP TABLE encoded (LIKE item_scores); CREATE TEMP TABLE oracle (LIKE item_scores)");

        await ItemScoreColumns.CopyAsync(connection, "encoded", runId, 5, rows, CancellationToken.None);
        await ImportWithNpgsqlAsync(connection, "oracle", runId, 5, rows);

        Assert.Equal(rows.Count, await ScalarAsync(connection, "SELECT count(*) FROM encoded"));
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM (SELECT * FROM encoded EXCEPT ALL SELECT * FROM oracle) d"));
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM (SELECT * FROM oracle EXCEPT ALL SELECT * FROM encoded) d"));
        Assert.Equal(
            rows.Count(r => r.Embedding is not null),
            await ScalarAsync(connection, "SELECT count(*) FROM encoded e JOIN oracle o USING (item_id) WHERE e.embedding::text = o.embedding::text"));
        Assert.Equal(1, await ScalarAsync(connection, "SELECT count(*) FROM encoded WHERE item_id = 'crawl/müll/猫 🐈.jpg' AND d_out IS NULL AND knn IS NULL AND nearest_reference IS NULL"));
        Assert.Equal(150_000, await ScalarAsync(connection, "SELECT length(nearest_reference) FROM encoded WHERE item_id = 'long'"));
    }

    [Fact]
    public async Task A_row_that_cannot_be_encoded_stops_the_copy_and_lands_nothing()
    {
        Guid contextId = Guid.NewGuid();
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, 2500);

        // A lone surrogate is not text: no UTF-8 for it. Rows 0–1 999 were encoded (and partly sent) before it.
        rows[2000] = rows[2000] with { ItemId = "bad\uD800id" };

        await using NpgsqlConnection connection = await _fixture.DataSource.OpenConnectionAsync();
        await ExecuteAsync(connection, "CREATE TEMP TABLE target (LIKE item_scores)");

        await Assert.ThrowsAsync<System.Text.EncoderFallbackException>(
            () => ItemScoreColumns.CopyAsync(connection, "target", Guid.NewGuid(), 0, rows, CancellationToken.None));

        // Outside a transaction a COPY ended normally would have stored the rows before the bad one; cancelled, none.
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM target"));

        // The connection is usable: the next COPY goes through.
        await ItemScoreColumns.CopyAsync(connection, "target", Guid.NewGuid(), 0, rows[..2000], CancellationToken.None);
        Assert.Equal(2000, await ScalarAsync(connection, "SELECT count(*) FROM target"));
    }

    [Fact]
    public async Task A_copy_cancelled_after_rows_went_out_lands_none_of_them()
    {
        List<ItemScoreRow> made = ScoreRows.Make(Guid.NewGuid(), 2500);
        using var cancellation = new CancellationTokenSource();

        // The token is cancelled while row 2 000 is encoded: by then several 64 KB buffers of rows went to the server.
        var rows = new CancellingRows(made, at: 2000, cancellation);
        await using NpgsqlConnection connection = await _fixture.DataSource.OpenConnectionAsync();
        await ExecuteAsync(connection, "CREATE TEMP TABLE cancelled (LIKE item_scores)");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => ItemScoreColumns.CopyAsync(connection, "cancelled", Guid.NewGuid(), 0, rows, cancellation.Token));

        // Outside a transaction, a COPY ended instead of cancelled would have stored the rows sent; cancelled, none.
        Assert.True(rows.Read > 2000);
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM cancelled"));
        await ItemScoreColumns.CopyAsync(connection, "cancelled", Guid.NewGuid(), 0, made[..10], CancellationToken.None);
        Assert.Equal(10, await ScalarAsync(connection, "SELECT count(*) FROM cancelled"));
    }

    [Fact]
    public async Task A_row_the_server_refuses_throws_its_error_and_lands_nothing()
    {
        Guid contextId = Guid.NewGuid();
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, 1500);
        rows[1200] = rows[3];

        await using NpgsqlConnection connection = await _fixture.DataSource.OpenConnectionAsync();
        await ExecuteAsync(connection, "CREATE TEMP TABLE keyed (LIKE item_scores INCLUDING INDEXES)");

        var error = await Assert.ThrowsAsync<PostgresException>(
            () => ItemScoreColumns.CopyAsync(connection, "keyed", Guid.NewGuid(), 0, rows, CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM keyed"));
    }

    /// <summary>The rows, cancelling <paramref name="cancellation"/> when the one at <paramref name="at"/> is read.</summary>
    private sealed class CancellingRows(List<ItemScoreRow> rows, int at, CancellationTokenSource cancellation) : IReadOnlyList<ItemScoreRow>
    {
        public int Read { get; private set; }

        public int Count => rows.Count;

        public ItemScoreRow this[int index] => rows[index];

        public IEnumerator<ItemScoreRow> GetEnumerator()
        {
            foreach (ItemScoreRow row in rows)
            {
                if (++Read == at)
                {
                    cancellation.Cancel();
                }

                yield return row;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    // The oracle: Npgsql's typed binary importer, every column written with its declared type (the encoder it replaces).
    private static async Task ImportWithNpgsqlAsync(NpgsqlConnection connection, string table, Guid runId, int shardId, IEnumerable<ItemScoreRow> rows)
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            $"COPY {table} ({string.Join(", ", ItemScoreColumns.Names)}) FROM STDIN (FORMAT BINARY)");
        foreach (ItemScoreRow row in rows)
        {
            await importer.StartRowAsync();
            foreach (string column in ItemScoreColumns.Names)
            {
                Task write = column switch
                {
                    "run_id" => importer.WriteAsync(runId, NpgsqlDbType.Uuid),
                    "item_id" => importer.WriteAsync(row.ItemId, NpgsqlDbType.Text),
                    "context_id" => importer.WriteAsync(row.ContextId, NpgsqlDbType.Uuid),
                    "shard_id" => importer.WriteAsync(shardId, NpgsqlDbType.Integer),
                    "predicted" => importer.WriteAsync(row.Score.Predicted, NpgsqlDbType.Integer),
                    "nearest_reference" => row.NearestReference is { } n ? importer.WriteAsync(n, NpgsqlDbType.Text) : importer.WriteNullAsync(),
                    "d_in" => importer.WriteAsync(row.Score.DIn, NpgsqlDbType.Double),
                    "d_out" => double.IsNaN(row.Score.DOut) ? importer.WriteNullAsync() : importer.WriteAsync(row.Score.DOut, NpgsqlDbType.Double),
                    "ratio" => importer.WriteAsync(row.Score.Ratio, NpgsqlDbType.Double),
                    "energy" => importer.WriteAsync(row.Score.Energy, NpgsqlDbType.Double),
                    "sisom" => importer.WriteAsync(row.Score.Sisom, NpgsqlDbType.Double),
                    "sisome" => importer.WriteAsync(row.Score.Sisome, NpgsqlDbType.Double),
                    "knn" => double.IsNaN(row.Score.Knn) ? importer.WriteNullAsync() : importer.WriteAsync(row.Score.Knn, NpgsqlDbType.Double),
                    "msp" => importer.WriteAsync(row.Score.Baselines.Msp, NpgsqlDbType.Double),
                    "max_logit" => importer.WriteAsync(row.Score.Baselines.MaxLogit, NpgsqlDbType.Double),
                    "entropy" => importer.WriteAsync(row.Score.Baselines.Entropy, NpgsqlDbType.Double),
                    "margin" => importer.WriteAsync(row.Score.Baselines.Margin, NpgsqlDbType.Double),
                    "ood_sisom" => importer.WriteAsync(row.Score.OodSisom, NpgsqlDbType.Boolean),
                    "ood_sisome" => importer.WriteAsync(row.Score.OodSisome, NpgsqlDbType.Boolean),
                    "ood_knn" => importer.WriteAsync(row.Score.OodKnn, NpgsqlDbType.Boolean),
                    "ood_energy" => importer.WriteAsync(row.Score.OodEnergy, NpgsqlDbType.Boolean),
                    "no_reference" => importer.WriteAsync(row.Score.NoReference, NpgsqlDbType.Boolean),
                    "is_reference" => importer.WriteAsync(row.Score.IsReference, NpgsqlDbType.Boolean),
                    "scored_at" => importer.WriteAsync(row.ScoredAt.ToUniversalTime(), NpgsqlDbType.TimestampTz),
                    "embedding" => row.Embedding is { } h ? importer.WriteAsync(new Vector(h), "vector") : importer.WriteNullAsync(),
                    _ => throw new InvalidOperationException($"The oracle does not know column {column}: add it here."),
                };
                await write;
            }
        }

        await importer.CompleteAsync();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
