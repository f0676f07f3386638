using Microsoft.EntityFrameworkCore;

namespace SisomCluster.Data.Pools;

internal static class PoolsModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Pool>(pool =>
        {
            pool.ToTable("pools");
            pool.HasKey(p => p.Id);
            pool.HasIndex(p => p.Name).IsUnique();
            pool.Property(p => p.CreatedAt).HasDefaultValueSql("now()");
        });

        modelBuilder.Entity<Item>(item =>
        {
            item.ToTable("items");
            item.HasKey(i => new { i.PoolId, i.ItemId });
            item.HasOne<Pool>().WithMany().HasForeignKey(i => i.PoolId).OnDelete(DeleteBehavior.Cascade);
            item.Property(i => i.IngestedAt).HasDefaultValueSql("now()");

            // The items that carry a source or capture time: a partial index, so that asking whether a pool has any
            // (ShardAggregation.DriftForAsync, at each run's first shard on each worker) is one index probe, not a read of
            // the pool's every item (10⁶ items: ~0.2 s of PostgreSQL's CPU per ask; 10⁸: ~20 s). Stored-embedding pools,
            // the ones that ask, have none, so the index costs them nothing to keep. (Named ix_items_pool_id by the naming convention.)
            item.HasIndex(i => i.PoolId).HasFilter("source IS NOT NULL OR captured_at IS NOT NULL");
        });
    }
}
