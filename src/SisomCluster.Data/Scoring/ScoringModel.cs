using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Pools;

namespace SisomCluster.Data.Scoring;

internal static class ScoringModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ScoringContext>(context =>
        {
            context.ToTable("scoring_contexts");
            context.HasKey(c => c.Id);
            context.HasOne<Pool>().WithMany().HasForeignKey(c => c.PoolId).OnDelete(DeleteBehavior.Restrict);
            context.Property(c => c.Layers).HasColumnType("jsonb");
            context.Property(c => c.AlphaGrid).HasColumnType("jsonb");
            context.Property(c => c.HeadWeights).HasColumnType("double precision[]");
            context.Property(c => c.HeadBias).HasColumnType("double precision[]");
            context.Property(c => c.CreatedAt).HasDefaultValueSql("now()");
            context.HasIndex(c => new { c.PoolId, c.CreatedAt });
        });

        modelBuilder.Entity<ReferenceItem>(reference =>
        {
            reference.ToTable("reference_items");
            reference.HasKey(r => new { r.ContextId, r.ItemId });
            reference.HasOne<ScoringContext>().WithMany().HasForeignKey(r => r.ContextId).OnDelete(DeleteBehavior.Cascade);

            // No fixed dimension: the state is the model's penultimate (or concatenated layer) state, 512 for ResNet-18,
            // 2048 for ResNet-50, and one table serves every model. The context's state_dimension says what a row holds;
            // an ANN index, if ever needed, is an expression index on a cast to vector(D) per context (kNN for scoring
            // is exact and runs in the worker, ARCHITECTURE.md §6).
            reference.Property(r => r.State).HasColumnType("vector");
            reference.Property(r => r.Feature).HasColumnType("vector");
        });

        modelBuilder.Entity<ReferenceStateRow>(state =>
        {
            state.ToTable("reference_states");
            state.HasKey(r => new { r.ContextId, r.Alpha });
            state.HasOne<ScoringContext>().WithMany().HasForeignKey(r => r.ContextId).OnDelete(DeleteBehavior.Cascade);
            state.Property(r => r.Margins).HasColumnType("double precision[]");
            state.Property(r => r.MarginNeighbours).HasColumnType("integer[]");
            state.Property(r => r.LooNeighbours).HasColumnType("integer[]");
            state.Property(r => r.LooDistances).HasColumnType("double precision[]");
        });
    }
}
