using Microsoft.EntityFrameworkCore;

namespace SisomCluster.Data.Access;

internal static class ApiKeysModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ApiKey>(key =>
        {
            key.ToTable("api_keys", t => t.HasCheckConstraint("ck_api_keys_secret_hash", "octet_length(secret_hash) = 32"));
            key.HasKey(k => k.Id);
            key.Property(k => k.Scopes).HasColumnType("text[]");
            key.Property(k => k.CreatedAt).HasDefaultValueSql("now()");

            // Every authenticated request looks its key up by hash.
            key.HasIndex(k => k.SecretHash).IsUnique();
            key.HasIndex(k => k.Prefix).IsUnique();
        });
    }
}
