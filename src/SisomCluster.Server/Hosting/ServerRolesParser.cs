namespace SisomCluster.Server.Hosting;

/// <summary>Parses <c>--roles coordinator,worker,aggregator,api</c> or <c>--roles all</c>.</summary>
public static class ServerRolesParser
{
    public static ServerRoles Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return ServerRoles.All;
        }

        ServerRoles roles = ServerRoles.None;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            roles |= part.ToLowerInvariant() switch
            {
                "all" => ServerRoles.All,
                "coordinator" => ServerRoles.Coordinator,
                "worker" => ServerRoles.Worker,
                "aggregator" => ServerRoles.Aggregator,
                "api" => ServerRoles.Api,
                _ => throw new ArgumentException($"--roles: unknown role '{part}'; use coordinator, worker, aggregator, api or all.", nameof(text)),
            };
        }

        return roles == ServerRoles.None ? throw new ArgumentException("--roles is empty.", nameof(text)) : roles;
    }
}
