using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Model;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Runs;

namespace SisomCluster.Data.Aggregates;

internal static class AggregatesModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        // Keyed by (run, shard): the shard commit writes them under its fence, and a second row for a shard is refused.
        modelBuilder.Entity<ShardAggregate>(aggregate =>
        {
            aggregate.ToTable("shard_aggregates");
            aggregate.HasKey(a => new { a.RunId, a.ShardId });
            aggregate.HasOne<Shard>().WithMany().HasForeignKey(a => new { a.RunId, a.ShardId }).OnDelete(DeleteBehavior.Cascade);
            aggregate.Property(a => a.CreatedAt).HasDefaultValueSql("now()");
        });

        // (run, item) as in item_scores: an item is a candidate of one shard only.
        modelBuilder.Entity<ShardCandidate>(candidate =>
        {
            candidate.ToTable("shard_candidates");
            candidate.HasKey(c => new { c.RunId, c.ItemId });
            candidate.HasOne<ShardAggregate>().WithMany().HasForeignKey(c => new { c.RunId, c.ShardId }).OnDelete(DeleteBehavior.Cascade);
            candidate.HasIndex(c => new { c.RunId, c.ShardId });

            // The finaliser's merge reads a run's candidates by (sisom DESC, item_id) up to factor × B: in index order it stops
            // there instead of sorting all of them (EXPLAIN ANALYZE, 10⁵ candidate rows of a run: 99–105 ms → 11–12 ms;
            // 4 × 10⁵: 253–258 ms → 11–18 ms; load ~20).
            candidate.HasIndex(c => new { c.RunId, c.Sisom, c.ItemId }).IsDescending(false, true, false);
        });

        modelBuilder.Entity<ShardHistogram>(histogram =>
        {
            histogram.ToTable("shard_histograms");
            histogram.HasKey(h => new { h.RunId, h.ShardId, h.ScoreKind });
            histogram.HasOne<ShardAggregate>().WithMany().HasForeignKey(h => new { h.RunId, h.ShardId }).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ShardDriftCount>(drift =>
        {
            drift.ToTable("shard_drift", t =>
                t.HasCheckConstraint("ck_shard_drift_bucket_kind", LowercaseEnumConverter<DriftBucketKind>.CheckConstraint("bucket_kind")));
            drift.HasKey(d => new { d.RunId, d.ShardId, d.BucketKind, d.Bucket });
            drift.HasOne<ShardAggregate>().WithMany().HasForeignKey(d => new { d.RunId, d.ShardId }).OnDelete(DeleteBehavior.Cascade);
            drift.Property(d => d.BucketKind).HasConversion(new LowercaseEnumConverter<DriftBucketKind>());
        });
    }
}
