namespace SisomCluster.Server.Hosting;

/// <summary>The roles of this process, injectable.</summary>
public sealed record ServerRoleSet(ServerRoles Roles)
{
    public bool Has(ServerRoles role) => (Roles & role) == role;
}
