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
        });
    }
}
