using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Pools;

namespace SisomCluster.Data.Labels;

internal static class LabelsModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ItemLabel>(label =>
        {
            label.ToTable("labels", t => t.HasCheckConstraint("ck_labels_label", "label >= 0"));
            label.HasKey(l => new { l.PoolId, l.ItemId });

            // A label of an item the pool does not have is a mistake the importer reports; the key makes it impossible.
            label.HasOne<Item>().WithMany().HasForeignKey(l => new { l.PoolId, l.ItemId }).OnDelete(DeleteBehavior.Cascade);
            label.Property(l => l.ImportedAt).HasDefaultValueSql("now()");
            label.HasIndex(l => l.ImportId);
        });
    }
}
