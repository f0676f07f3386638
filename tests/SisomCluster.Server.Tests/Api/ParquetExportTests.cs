using System.Collections;
using System.Globalization;
using System.Net;
using DuckDB.NET.Data;
using Npgsql;
using SisomCluster.Data.Results;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// <c>GET /api/v1/runs/{id}/scores.parquet</c> and <c>/selection.parquet</c> against a real api role and PostgreSQL,
/// each file read back by an independent reader (DuckDB) and held, row by row and column by column, to the database.
/// </summary>
public sealed class ParquetExportTests(ExportApiTestHost host) : IClassFixture<ExportApiTestHost>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-export-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Scores_export_holds_every_scored_item_with_the_database_columns_types_and_values_in_several_row_groups()
    {
        string file = await DownloadAsync($"api/v1/runs/{host.RunId:D}/scores.parquet?embeddings=true", "scores.parquet");

        string[] expectedNames = ["item_id", .. ItemScoreColumns.Names.Where(n => n is not ("run_id" or "item_id" or "embedding")), "source", "captured_at", "embedding"];
        Dictionary<string, string> pgTypes = await PostgresTypesAsync("item_scores");
        pgTypes["source"] = "text";
        pgTypes["captured_at"] = "timestamptz";
        List<(string Name, string Type)> schema = Duck($"DESCRIBE SELECT * FROM read_parquet('{file}')", r => (r.GetString(0), r.GetString(1)));
        Assert.Equal(expectedNames, schema.Select(c => c.Name));
        Assert.All(schema, c => Assert.True(DuckTypeOf(pgTypes[c.Name]) == c.Type, $"{c.Name}: {pgTypes[c.Name]} in PostgreSQL, {c.Type} in the file"));

        // Several row groups of at most the configured rows: the server never held the run at once.
        int rowGroups = Duck($"SELECT count(DISTINCT row_group_id), max(row_group_num_rows) FROM parquet_metadata('{file}')", r => (int)r.GetInt64(0)).Single();
        long largest = Duck($"SELECT max(row_group_num_rows) FROM parquet_metadata('{file}')", r => r.GetInt64(0)).Single();
        Assert.Equal((ApiTestHost.ScoredItems + ExportApiTestHost.RowGroupRows - 1) / ExportApiTestHost.RowGroupRows, rowGroups);
        Assert.Equal(ExportApiTestHost.RowGroupRows, largest);

        string duckColumns = string.Join(", ", schema.Select(c => c.Type.StartsWith("TIMESTAMP", StringComparison.Ordinal) ? $"epoch_us(\"{c.Name}\")" : $"\"{c.Name}\""));
        Dictionary<string, object?[]> exported = Rows(Duck($"SELECT {duckColumns} FROM read_parquet('{file}')", Values));
        string pgColumns = string.Join(", ", expectedNames.Select(n => (n is "source" or "captured_at" ? "i." : "s.") + n).Select(n => pgTypes[n[2..]] switch
        {
            "timestamptz" => $"(extract(epoch from {n}) * 1000000)::bigint",
            "uuid" => $"{n}::text",
            "vector" => $"{n}::real[]",
            _ => n,
        }));
        Dictionary<string, object?[]> stored = Rows(await PostgresAsync(
            $"SELECT {pgColumns} FROM item_scores s LEFT JOIN items i ON i.pool_id = @pool AND i.item_id = s.item_id WHERE s.run_id = @run"));

        Assert.Equal(ApiTestHost.ScoredItems, stored.Count);
        Assert.Equal(stored.Keys.Order(StringComparer.Ordinal), exported.Keys.Order(StringComparer.Ordinal));
        foreach ((string item, object?[] row) in stored)
        {
            for (int c = 0; c < row.Length; c++)
            {
                Assert.True(Same(row[c], exported[item][c]), $"{item}.{expectedNames[c]}: {Show(row[c])} in PostgreSQL, {Show(exported[item][c])} in the file");
            }
        }

        // The sample the seed makes special: an infinite d_in, a missing capture time, an embedding of the seed.
        Assert.Equal(double.PositiveInfinity, exported[ApiTestHost.ItemId(5)][Array.IndexOf(expectedNames, "d_in")]);
        Assert.Null(exported["img-07.png"][Array.IndexOf(expectedNames, "captured_at")]);
        Assert.Equal("crawl-b", exported[ApiTestHost.ItemId(25)][Array.IndexOf(expectedNames, "source")]);
        Assert.Equal(ApiTestHost.Embedding(12), ((IEnumerable)exported[ApiTestHost.ItemId(12)][^1]!).Cast<object>().Select(Convert.ToSingle));
    }

    [Fact]
    public async Task Scores_export_without_embeddings_has_no_embedding_column()
    {
        string file = await DownloadAsync($"api/v1/runs/{host.RunId:D}/scores.parquet", "plain.parquet");

        List<string> names = Duck($"DESCRIBE SELECT * FROM read_parquet('{file}')", r => r.GetString(0));
        Assert.DoesNotContain("embedding", names);
        Assert.Contains("sisom", names);
        Assert.Equal(ApiTestHost.ScoredItems, Duck($"SELECT count(*) FROM read_parquet('{file}')", r => r.GetInt64(0)).Single());
    }

    [Fact]
    public async Task Selection_export_holds_the_selection_by_rank_with_the_items_source()
    {
        string file = await DownloadAsync($"api/v1/runs/{host.RunId:D}/selection.parquet", "selection.parquet");

        List<(string Name, string Type)> schema = Duck($"DESCRIBE SELECT * FROM read_parquet('{file}')", r => (r.GetString(0), r.GetString(1)));
        Assert.Equal(
            [("rank", "INTEGER"), ("item_id", "VARCHAR"), ("score", "DOUBLE"), ("original_score", "DOUBLE"), ("predicted", "INTEGER"), ("reason", "VARCHAR"), ("source", "VARCHAR"), ("captured_at", "TIMESTAMP WITH TIME ZONE")],
            schema);
        List<object?[]> exported = Duck($"SELECT rank, item_id, score, original_score, predicted, reason, source, epoch_us(captured_at) FROM read_parquet('{file}')", Values);
        List<object?[]> stored = await PostgresAsync(
            "SELECT s.rank, s.item_id, s.score, s.original_score, s.predicted, s.reason, i.source, (extract(epoch from i.captured_at) * 1000000)::bigint FROM selections s LEFT JOIN items i ON i.pool_id = @pool AND i.item_id = s.item_id WHERE s.run_id = @run ORDER BY s.rank");
        Assert.Equal(5, stored.Count);
        Assert.Equal(stored.Count, exported.Count);
        for (int r = 0; r < stored.Count; r++)
        {
            for (int c = 0; c < stored[r].Length; c++)
            {
                Assert.True(Same(stored[r][c], exported[r][c]), $"row {r} column {schema[c].Name}: {Show(stored[r][c])} in PostgreSQL, {Show(exported[r][c])} in the file");
            }
        }

        Assert.Equal(ApiTestHost.ItemId(29), exported[0][1]);
    }

    [Fact]
    public async Task Bad_requests_are_answered_with_the_reason()
    {
        using HttpResponseMessage flag = await host.GetAsync($"api/v1/runs/{host.RunId:D}/scores.parquet?embeddings=maybe", host.ReadKey);
        Assert.Contains("embeddings", (await ApiTestHost.ProblemAsync(flag, HttpStatusCode.BadRequest)).ToString(), StringComparison.Ordinal);

        using HttpResponseMessage missing = await host.GetAsync($"api/v1/runs/{Guid.NewGuid():D}/scores.parquet", host.ReadKey);
        await ApiTestHost.ProblemAsync(missing, HttpStatusCode.NotFound);
        using HttpResponseMessage missingSelection = await host.GetAsync($"api/v1/runs/{Guid.NewGuid():D}/selection.parquet", host.ReadKey);
        await ApiTestHost.ProblemAsync(missingSelection, HttpStatusCode.NotFound);
    }

    private async Task<string> DownloadAsync(string path, string name)
    {
        using HttpResponseMessage response = await host.GetAsync(path, host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.apache.parquet", response.Content.Headers.ContentType?.MediaType);
        string file = Path.Combine(_directory, name);
        await using (FileStream stream = File.Create(file))
        {
            await response.Content.CopyToAsync(stream);
        }

        return file;
    }

    private static List<T> Duck<T>(string sql, Func<DuckDBDataReader, T> read)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using DuckDBDataReader reader = command.ExecuteReader();
        List<T> rows = [];
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private async Task<List<object?[]>> PostgresAsync(string sql)
    {
        await using NpgsqlCommand command = host.Database.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("run", host.RunId);
        command.Parameters.AddWithValue("pool", host.PoolId);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        List<object?[]> rows = [];
        while (await reader.ReadAsync())
        {
            rows.Add(Values(reader));
        }

        return rows;
    }

    private async Task<Dictionary<string, string>> PostgresTypesAsync(string table)
    {
        await using NpgsqlCommand command = host.Database.DataSource.CreateCommand(
            "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a WHERE a.attrelid = @table::regclass AND a.attnum > 0 AND NOT a.attisdropped");
        command.Parameters.AddWithValue("table", table);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            types[reader.GetString(0)] = reader.GetString(1) switch
            {
                "timestamp with time zone" => "timestamptz",
                string t => t,
            };
        }

        return types;
    }

    /// <summary>How DuckDB names the Parquet type a PostgreSQL column's type should be exported as.</summary>
    private static string DuckTypeOf(string postgres) => postgres switch
    {
        "uuid" or "text" => "VARCHAR",
        "integer" => "INTEGER",
        "bigint" => "BIGINT",
        "double precision" => "DOUBLE",
        "real" => "FLOAT",
        "boolean" => "BOOLEAN",
        "timestamptz" => "TIMESTAMP WITH TIME ZONE",
        "vector" => "FLOAT[]",
        _ => $"(no expectation for {postgres})",
    };

    private static object?[] Values(System.Data.Common.DbDataReader reader)
    {
        var row = new object?[reader.FieldCount];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }

        return row;
    }

    private static Dictionary<string, object?[]> Rows(List<object?[]> rows) => rows.ToDictionary(r => (string)r[0]!, StringComparer.Ordinal);

    private static bool Same(object? stored, object? exported) => (stored, exported) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (string a, string b) => a == b,
        (bool a, bool b) => a == b,
        (IEnumerable a, IEnumerable b) => a.Cast<object>().Select(Convert.ToSingle).SequenceEqual(b.Cast<object>().Select(Convert.ToSingle)),
        _ => Convert.ToDouble(stored, CultureInfo.InvariantCulture).Equals(Convert.ToDouble(exported, CultureInfo.InvariantCulture)),
    };

    private static string Show(object? value) => value switch
    {
        null => "NULL",
        string s => $"'{s}'",
        IEnumerable e => "[" + string.Join(", ", e.Cast<object>()) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
