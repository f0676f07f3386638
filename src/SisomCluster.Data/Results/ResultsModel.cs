using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Runs;

namespace SisomCluster.Data.Results;

internal static class ResultsModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        // item_scores and item_errors have no foreign keys on purpose: they are the hot write path (10⁸–10⁹ rows), and a
        // foreign key fires a per-row lookup trigger. ShardResultWriter writes them only while holding the lock on their
        // shard row, which already proves the run exists; a run's results go with the run (or its partition at scale).
        modelBuilder.Entity<ItemScore>(score =>
        {
            score.ToTable("item_scores");
            score.HasKey(s => new { s.RunId, s.ItemId });

            // No fixed dimension: it is the model's feature size (512 for ResNet-18, 2048 for ResNet-50) and one table
            // serves every run. Per-run indexes (HNSW for similar items) cast to vector(D) and stay off the write path.
            score.Property(s => s.Embedding).HasColumnType("vector");
        });

        modelBuilder.Entity<ItemError>(error =>
        {
            error.ToTable("item_errors");
            error.HasKey(e => new { e.RunId, e.ItemId });
        });

        modelBuilder.Entity<Selection>(selection =>
        {
            selection.ToTable("selections", t => t.HasCheckConstraint("ck_selections_rank", "rank >= 1"));
            selection.HasKey(s => new { s.RunId, s.Rank });
            selection.HasOne<Run>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
            selection.Property(s => s.CreatedAt).HasDefaultValueSql("now()");
        });
    }
}
