using SisomCluster.Inference.Datasets;

namespace SisomCluster.Cli.Cluster;

internal sealed record DemoOptions
{
    public required FashionMnistPoolSpec Pool { get; init; }

    public int Workers { get; init; } = 2;

    public int Budget { get; init; } = 100;

    public int Port { get; init; } = 5080;

    public bool ExitAfterSummary { get; init; }

    public bool StartServices { get; init; } = true;

    public string? WorkDirectory { get; init; }

    public string? ServerPath { get; init; }

    public required string ModelCache { get; init; }

    /// <summary>PostgreSQL and RabbitMQ given explicitly (tests; a remote database); otherwise from services.sh or the environment.</summary>
    public string? Connection { get; init; }

    public string? RabbitMq { get; init; }

    /// <summary>Write the server and a write key to the CLI's config file (sisom login's), so later commands find the demo's cluster.</summary>
    public bool WriteLogin { get; init; } = true;
}
