using System.Diagnostics;
using System.Globalization;
using SisomCluster.Cli;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// A PostgreSQL and a RabbitMQ of the benchmark's own (<c>deploy/local/services.sh pg-up|pg-down|rabbitmq-up|rabbitmq-down</c>
/// with <c>SISOM_PG_PORT</c> / <c>SISOM_AMQP_PORT</c>, state under <c>.local/pg-PORT</c>, <c>.local/rabbitmq-PORT</c>), so
/// stopping them never disturbs the shared servers others use.
/// </summary>
internal sealed class PrivateServices
{
    public const int SharedPostgresPort = 55432;
    public const int SharedRabbitMqPort = 5672;

    private readonly string _script;
    private readonly int _postgresPort;
    private readonly int _rabbitMqPort;

    public PrivateServices(string script, int postgresPort, int rabbitMqPort)
    {
        if (postgresPort == SharedPostgresPort || rabbitMqPort == SharedRabbitMqPort)
        {
            throw new UsageException($"the chaos benchmark stops its PostgreSQL and RabbitMQ: give ports other than the shared {SharedPostgresPort} and {SharedRabbitMqPort}.");
        }

        _script = script;
        _postgresPort = postgresPort;
        _rabbitMqPort = rabbitMqPort;
    }

    public string DatabaseConnection => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={_postgresPort};Database=sisom;Username=sisom;Password=sisom");

    public string RabbitMq => string.Create(CultureInfo.InvariantCulture, $"amqp://sisom:sisom@127.0.0.1:{_rabbitMqPort}/");

    public int ManagementPort => _rabbitMqPort + 10000;

    /// <summary><c>deploy/local/services.sh</c> of the checkout above <paramref name="start"/>.</summary>
    public static string FindScript(string start)
    {
        for (DirectoryInfo? directory = new(start); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "deploy", "local", "services.sh");
            if (File.Exists(Path.Combine(directory.FullName, "SisomCluster.sln")) && File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new UsageException($"deploy/local/services.sh not found above {start}: run from a checkout or pass --services-script.");
    }

    public Task DatabaseUpAsync(CancellationToken cancellationToken) => RunAsync("pg-up", cancellationToken);

    public Task DatabaseDownAsync(CancellationToken cancellationToken) => RunAsync("pg-down", cancellationToken);

    public Task BrokerUpAsync(CancellationToken cancellationToken) => RunAsync("rabbitmq-up", cancellationToken);

    public Task BrokerDownAsync(CancellationToken cancellationToken) => RunAsync("rabbitmq-down", cancellationToken);

    private async Task RunAsync(string command, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_script, command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["SISOM_PG_PORT"] = _postgresPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["SISOM_AMQP_PORT"] = _rabbitMqPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["SISOM_AMQP_MGMT_PORT"] = ManagementPort.ToString(CultureInfo.InvariantCulture);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{_script} did not start.");
        Task<string> output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> error = process.StandardError.ReadToEndAsync(CancellationToken.None);

        // Never abandoned half-way: a broker or database left half-started would break the next case.
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"services.sh {command} (PostgreSQL :{_postgresPort}, RabbitMQ :{_rabbitMqPort}) exited {process.ExitCode}:\n{await output.ConfigureAwait(false)}\n{await error.ConfigureAwait(false)}");
        }
    }
}
