using Npgsql;
using Pgvector.Npgsql;

namespace SisomCluster.Data;

/// <summary>
/// The one <see cref="NpgsqlDataSource"/> per process: a connection pool that knows pgvector's <c>vector</c> type, shared by
/// EF Core (<see cref="SisomDbContext.Configure"/>) and the binary COPY writers.
/// </summary>
public static class SisomDataSource
{
    public static NpgsqlDataSource Create(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        return builder.Build();
    }
}
