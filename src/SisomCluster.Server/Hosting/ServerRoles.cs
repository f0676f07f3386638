namespace SisomCluster.Server.Hosting;

/// <summary>The roles one process plays (ARCHITECTURE.md §1): `all` in one process is the embedded default.</summary>
[Flags]
public enum ServerRoles
{
    None = 0,
    Coordinator = 1,
    Worker = 2,
    Aggregator = 4,
    Api = 8,
    All = Coordinator | Worker | Aggregator | Api,
}
