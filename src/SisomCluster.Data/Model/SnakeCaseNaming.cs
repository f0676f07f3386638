using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace SisomCluster.Data.Model;

/// <summary>
/// Gives every column, key, foreign key and index a snake_case name, so that hand-written SQL (the COPY writers, psql,
/// dashboards) reads like ordinary PostgreSQL and never needs quoted identifiers. Table names are set explicitly per
/// entity; this runs last in <see cref="SisomDbContext"/>'s model building and overrides EF's PascalCase defaults.
/// </summary>
internal static class SnakeCaseNaming
{
    public static void Apply(ModelBuilder modelBuilder)
    {
        foreach (IMutableEntityType entity in modelBuilder.Model.GetEntityTypes())
        {
            string table = entity.GetTableName()
                ?? throw new InvalidOperationException($"{entity.DisplayName()} has no table name: call ToTable in its model.");

            foreach (IMutableProperty property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }

            foreach (IMutableKey key in entity.GetKeys())
            {
                key.SetName(key.IsPrimaryKey() ? $"pk_{table}" : $"ak_{table}_{Columns(key.Properties)}");
            }

            foreach (IMutableForeignKey foreignKey in entity.GetForeignKeys())
            {
                string principal = foreignKey.PrincipalEntityType.GetTableName()!;
                foreignKey.SetConstraintName($"fk_{table}_{principal}_{Columns(foreignKey.Properties)}");
            }

            foreach (IMutableIndex index in entity.GetIndexes())
            {
                index.SetDatabaseName($"ix_{table}_{Columns(index.Properties)}");
            }
        }
    }

    /// <summary><c>LeaseExpiresAt</c> → <c>lease_expires_at</c>, <c>RAvg</c> → <c>r_avg</c>, <c>DIn</c> → <c>d_in</c>.</summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool afterLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool endsAcronym = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (afterLowerOrDigit || endsAcronym)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string Columns(IEnumerable<IReadOnlyProperty> properties) =>
        string.Join("_", properties.Select(p => ToSnakeCase(p.Name)));
}
