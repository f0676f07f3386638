using System.Diagnostics;
using System.Net.Sockets;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// A RabbitMQ node of the test's own (deploy/local/services.sh rabbitmq-up on another port), so a test can stop and
/// restart the broker under a running cluster without disturbing the shared one other tests use.
/// </summary>
public sealed class PrivateBroker : IAsyncDisposable
{
    private readonly int _port;

    private PrivateBroker(int port) => _port = port;

    public string ConnectionString => $"amqp://sisom:sisom@127.0.0.1:{_port}/";

    public static async Task<PrivateBroker> StartAsync(int port)
    {
        var broker = new PrivateBroker(port);
        await broker.UpAsync();
        return broker;
    }

    public Task UpAsync() => RunAsync("rabbitmq-up");

    public Task DownAsync() => RunAsync("rabbitmq-down");

    public bool Listening()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", _port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync() => await DownAsync();

    private async Task RunAsync(string command)
    {
        var start = new ProcessStartInfo(Path.Combine(RepositoryRoot(), "deploy", "local", "services.sh"), command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["SISOM_AMQP_PORT"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["SISOM_AMQP_MGMT_PORT"] = (_port + 10000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"services.sh {command} (port {_port}) exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SisomCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("SisomCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
