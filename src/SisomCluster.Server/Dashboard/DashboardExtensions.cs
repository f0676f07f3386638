namespace SisomCluster.Server.Dashboard;

/// <summary>The dashboard's services; it is served by the api role, next to <see cref="DashboardEndpoints.MapDashboard"/>.</summary>
public static class DashboardExtensions
{
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<ThumbnailCache>();
        return builder;
    }
}
