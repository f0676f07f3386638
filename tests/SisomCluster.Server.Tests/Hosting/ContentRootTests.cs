using System.Diagnostics;
using SisomCluster.Server.Hosting;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Tests.Cluster;
using Xunit;

namespace SisomCluster.Server.Tests.Hosting;

/// <summary>
/// The server's content root is its install directory (<see cref="ServerHost.CreateBuilder"/>): a real server process
/// started from a large working directory (a checkout with the database's files in it) does not watch every folder below
/// it. (A test of the builder alone could not fail: under <c>dotnet test</c> the working directory is already the output
/// folder.)
/// </summary>
public sealed class ContentRootTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private const int Folders = 200;

    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-root-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_server_started_in_a_large_tree_does_not_watch_it()
    {
        for (int i = 0; i < Folders; i++)
        {
            Directory.CreateDirectory(Path.Combine(_directory, $"tree-{i / 20}", $"folder-{i}"));
        }

        await using var cluster = new ClusterHarness(database, _directory);

        // Inotify, as by default (a polling watcher would hold no watches whatever it watched).
        Process server = cluster.Start("api", ("DOTNET_USE_POLLING_FILE_WATCHER", "false"));
        await cluster.UrlAsync(server, TimeSpan.FromSeconds(60));

        int watches = InotifyWatches(server.Id);

        // Rooted at the working directory the host watched every folder of it (211); rooted at the install directory it
        // watches that directory's (56 in the test's output folder).
        Assert.True(watches < Folders, $"the server holds {watches} inotify watches with {Folders} folders in its working directory\n{cluster.Logs()}");
    }

    private static int InotifyWatches(int pid)
    {
        int watches = 0;
        foreach (string fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget?.Contains("inotify", StringComparison.Ordinal) == true)
                {
                    watches += File.ReadLines($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}").Count(l => l.StartsWith("inotify ", StringComparison.Ordinal));
                }
            }
            catch (IOException)
            {
                // The descriptor was closed between the listing and the read (a socket of the starting server).
            }
        }

        return watches;
    }
}
