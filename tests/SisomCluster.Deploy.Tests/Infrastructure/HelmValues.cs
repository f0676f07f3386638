namespace SisomCluster.Deploy.Tests.Infrastructure;

/// <summary>--set pairs the chart needs to render (it refuses to install without connection strings).</summary>
public static class HelmValues
{
    public static IReadOnlyList<string> Secrets { get; } =
        ["secrets.postgres=Host=pg;Database=sisom;Username=sisom;Password=p", "secrets.rabbitmq=amqp://sisom:p@rabbitmq:5672/"];
}
