using Npgsql;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// An <see cref="ApiTestHost"/> whose exports write row groups of <see cref="RowGroupRows"/> rows (so the 30 scored items
/// span several), and whose items carry capture times (so the export's item columns hold values to check).
/// </summary>
public sealed class ExportApiTestHost : ApiTestHost
{
    public const int RowGroupRows = 8;

    protected override IEnumerable<(string Key, string Value)> Settings =>
        [("Api:ExportRowGroupRows", RowGroupRows.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    protected override async Task SeedMoreAsync()
    {
        await using NpgsqlCommand command = Database.DataSource.CreateCommand(
            "UPDATE items SET captured_at = timestamptz '2031-04-30 00:00:00+00' + (substring(item_id from 5 for 2)::int * interval '1 hour 1 second') WHERE pool_id = @pool AND item_id LIKE 'img-%' AND item_id <> 'img-07.png'");
        command.Parameters.AddWithValue("pool", PoolId);
        await command.ExecuteNonQueryAsync();
    }
}
