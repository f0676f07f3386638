using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Model;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Scoring;

namespace SisomCluster.Data.Runs;

internal static class RunsModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Run>(run =>
        {
            run.ToTable("runs", t =>
            {
                t.HasCheckConstraint("ck_runs_state", LowercaseEnumConverter<RunState>.CheckConstraint("state"));
                t.HasCheckConstraint("ck_runs_max_attempts", "max_attempts >= 1");
                t.HasCheckConstraint("ck_runs_candidate_factor", "candidate_factor BETWEEN 1 AND 100");
                t.HasCheckConstraint("ck_runs_ood_score", "ood_score IN (" + string.Join(", ", Core.Scoring.OodScores.All.Select(s => "'" + s + "'")) + ")");

                // A run without the KNN baseline cannot be OOD-flagged by it (the API answers 400 before this).
                t.HasCheckConstraint("ck_runs_knn_ood_score", "knn OR ood_score <> 'knn'");
            });
            run.HasKey(r => r.Id);
            run.HasOne<Pool>().WithMany().HasForeignKey(r => r.PoolId).OnDelete(DeleteBehavior.Restrict);
            run.HasOne<ScoringContext>().WithMany().HasForeignKey(r => r.ContextId).OnDelete(DeleteBehavior.Restrict);
            run.Property(r => r.State).HasConversion(new LowercaseEnumConverter<RunState>());
            run.Property(r => r.MaxAttempts).HasDefaultValue(3);
            // Runs created before the column existed were finalised with the settings' default factor, 4.
            run.Property(r => r.CandidateFactor).HasDefaultValue(Run.DefaultCandidateFactor);
            // The column default is for rows written before the column existed: those runs were flagged by SISOM. New runs always
            // carry their choice (OodScores.Default when the request names none).
            run.Property(r => r.OodScore).HasDefaultValue(Core.Scoring.OodScores.Sisom);
            run.Property(r => r.Options).HasColumnType("jsonb");
            run.Property(r => r.CreatedAt).HasDefaultValueSql("now()");
            run.HasIndex(r => new { r.PoolId, r.CreatedAt });
            run.HasIndex(r => r.State);
        });

        modelBuilder.Entity<Shard>(shard =>
        {
            shard.ToTable("shards", t =>
            {
                t.HasCheckConstraint("ck_shards_state", LowercaseEnumConverter<ShardState>.CheckConstraint("state"));
                t.HasCheckConstraint("ck_shards_attempt", "attempt >= 1");
            });
            shard.HasKey(s => new { s.RunId, s.ShardId });
            shard.HasOne<Run>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
            shard.Property(s => s.State).HasConversion(new LowercaseEnumConverter<ShardState>());
            shard.Property(s => s.Attempt).HasDefaultValue(1);
            shard.Property(s => s.Descriptor).HasColumnType("jsonb");

            // The coordinator's expiry scan: leased shards ordered by lease end (ShardLeases.ExpiredAsync).
            shard.HasIndex(s => new { s.State, s.LeaseExpiresAt });
        });
    }
}
