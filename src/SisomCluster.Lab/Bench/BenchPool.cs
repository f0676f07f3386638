using SisomCluster.Data;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// The benchmark pool registered in the bench schema through the Data layer, as <c>sisom pool add</c> and
/// <c>sisom labels import</c> register theirs - without going through those commands, so the benchmark does not depend
/// on how the product CLI reaches the cluster (direct database today, the API tomorrow).
/// </summary>
internal static class BenchPool
{
    public static async Task<Guid> RegisterAsync(BenchDatabase database, string name, string source, string labelsCsv, CancellationToken cancellationToken)
    {
        IPoolSource pool = PoolSources.Open(Path.GetFullPath(source));
        PoolListing listing = await PoolListing.CollectAsync(pool.ListAsync(shardSize: 4096, _ => { }, cancellationToken), cancellationToken).ConfigureAwait(false);
        var entity = new Pool
        {
            Id = Guid.NewGuid(),
            Name = name,
            SourceKind = pool.Kind,
            SourceUri = pool.Uri,
            CreatedAt = DateTimeOffset.UtcNow,

            // ItemRegistry adds what it inserts to item_count; starting from the listing's count would double it.
            ItemCount = 0,
        };
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(entity);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(
            entity.Id,
            listing.Items.Select(i => new ItemRow(i.Id, i.Uri, i.Source, i.CapturedAt)),
            cancellationToken).ConfigureAwait(false);
        using StreamReader reader = File.OpenText(labelsCsv);
        await new LabelImporter(database.DataSource).ImportAsync(entity.Id, reader, null, cancellationToken).ConfigureAwait(false);
        return entity.Id;
    }
}
