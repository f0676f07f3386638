using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Model;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;

namespace SisomCluster.Data.Rounds;

internal static class RoundsModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Round>(round =>
        {
            round.ToTable("rounds", t => t.HasCheckConstraint("ck_rounds_state", LowercaseEnumConverter<RoundState>.CheckConstraint("state")));
            round.HasKey(r => r.Id);
            round.Property(r => r.Id).HasMaxLength(100);
            round.Property(r => r.Attempt).HasDefaultValue(1);
            round.HasOne<Pool>().WithMany().HasForeignKey(r => r.PoolId).OnDelete(DeleteBehavior.Cascade);

            // A deleted run leaves the round's history (counts, state) and only forgets the run.
            round.HasOne<Run>().WithMany().HasForeignKey(r => r.RunId).OnDelete(DeleteBehavior.SetNull);
            round.Property(r => r.State).HasConversion(new LowercaseEnumConverter<RoundState>());
            round.HasIndex(r => r.State);
            round.HasIndex(r => new { r.PoolId, r.CreatedAt });
        });
    }
}
