namespace SisomCluster.Server.Hosting;

/// <summary>Registers the roles a process plays; each role's registration lives in its own folder.</summary>
public static class ServerHostExtensions
{
    public static IHostApplicationBuilder AddSisomServer(this IHostApplicationBuilder builder, ServerRoles roles)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(new ServerRoleSet(roles));
        builder.Services.AddHealthChecks();
        return builder;
    }

    public static WebApplication MapSisomServer(this WebApplication app, ServerRoles roles)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/healthz");
        app.MapGet("/roles", () => Results.Ok(roles.ToString()));
        return app;
    }
}
