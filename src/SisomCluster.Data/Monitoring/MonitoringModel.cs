using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Model;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Scoring;

namespace SisomCluster.Data.Monitoring;

internal static class MonitoringModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Threshold>(threshold =>
        {
            threshold.ToTable("thresholds");
            threshold.HasKey(t => t.Id);
            threshold.Property(t => t.Id).UseIdentityAlwaysColumn();
            threshold.HasOne<Run>().WithMany().HasForeignKey(t => t.RunId).OnDelete(DeleteBehavior.Cascade);
            threshold.HasOne<ScoringContext>().WithMany().HasForeignKey(t => t.ContextId).OnDelete(DeleteBehavior.Cascade);
            threshold.Property(t => t.CreatedAt).HasDefaultValueSql("now()");

            // "The current threshold of this context and score kind": the newest row.
            threshold.HasIndex(t => new { t.ContextId, t.ScoreKind, t.CreatedAt });
        });

        modelBuilder.Entity<DriftPoint>(point =>
        {
            point.ToTable("drift_points", t =>
                t.HasCheckConstraint("ck_drift_points_bucket_kind", LowercaseEnumConverter<DriftBucketKind>.CheckConstraint("bucket_kind")));
            point.HasKey(p => new { p.RunId, p.BucketKind, p.Bucket });
            point.HasOne<Run>().WithMany().HasForeignKey(p => p.RunId).OnDelete(DeleteBehavior.Cascade);
            point.Property(p => p.BucketKind).HasConversion(new LowercaseEnumConverter<DriftBucketKind>());
        });
    }
}
