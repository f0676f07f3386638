using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Runs;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// A Fashion-MNIST pool as WebDataset tar shards (ID classes 0–5, near-OOD classes 6–9, far-OOD noise and
/// blank images), registered with labels, and real server processes started with <c>--roles</c>.
/// </summary>
public sealed class ClusterHarness : IAsyncDisposable
{
    private readonly List<Process> _processes = [];

    public ClusterHarness(DatabaseFixture database, string directory)
    {
        Database = database;
        Directory = directory;
        QueuePrefix = "e" + Guid.NewGuid().ToString("N")[..8];
    }

    public DatabaseFixture Database { get; }

    public string Directory { get; }

    public string QueuePrefix { get; }

    public Guid PoolId { get; private set; }

    public string PoolName => "fashion-" + QueuePrefix;

    public HashSet<string> Labeled { get; } = new(StringComparer.Ordinal);

    /// <summary>Writes the tars (<see cref="FashionMnistPool"/>), registers the pool and its items, imports the labels (with <paramref name="classNames"/> when given).</summary>
    public async Task BuildPoolAsync(int idCount, int nearCount, int farCount, int labeledCount, int tars, int corruptPerTar = 0, bool sidecars = false, IReadOnlyList<string>? classNames = null)
    {
        Images = FashionMnistPool.Write(
            Path.Combine(Directory, "pool"),
            new FashionMnistPoolSpec { InDistribution = idCount, NearOod = nearCount, FarOod = farCount, Labeled = labeledCount, Tars = tars, CorruptPerTar = corruptPerTar, Sidecars = sidecars });
        IPoolSource source = PoolSources.Open(TarPoolSource.KindName, Images.Directory);
        PoolListing listing = await PoolListing.CollectAsync(source.ListAsync(4096));
        PoolId = Guid.NewGuid();
        await using (SisomDbContext db = Database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = PoolId, Name = PoolName, SourceKind = "tar", SourceUri = source.Uri, CreatedAt = DateTimeOffset.UtcNow, ItemCount = listing.Items.Count });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(Database.DataSource).AddItemsAsync(PoolId, listing.Items.Select(i => new ItemRow(i.Id, i.Uri, i.Source, i.CapturedAt)));
        Labeled.UnionWith(Images.LabeledItems.Select(i => i.Id));
        await new LabelImporter(Database.DataSource).ImportAsync(PoolId, new StringReader(string.Join('\n', Images.LabelLines())), classNames);
    }

    public string TarPath(int index) => Path.Combine(Directory, "pool", $"shard-{index:D2}.tar");

    /// <summary>The pool written by <see cref="BuildPoolAsync"/>, with its ground truth.</summary>
    public FashionMnistPool? Images { get; private set; }

    public Process Start(string roles, params (string Key, string Value)[] settings)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "sisom-server.dll"), "--roles", roles, "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory,
        };
        start.Environment["ConnectionStrings__Sisom"] = Database.ConnectionString;
        start.Environment["ConnectionStrings__RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        start.Environment["Server__QueuePrefix"] = QueuePrefix;
        start.Environment["Worker__ModelCache"] = Path.Combine(Directory, "models");
        start.Environment["Worker__IntraOpThreads"] = "1";
        start.Environment["Worker__DecodeThreads"] = "1";
        start.Environment["Coordinator__LeaseCheckSeconds"] = "2";
        foreach ((string key, string value) in settings)
        {
            start.Environment[key] = value;
        }

        Process process = Process.Start(start)!;
        string log = Path.Combine(Directory, $"{roles.Replace(',', '-')}-{process.Id}.log");
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    /// <summary>Kills (SIGKILL) the started process whose worker id is <paramref name="owner"/> (it ends with "-pid").</summary>
    /// <returns>The pid, or null when no live process of this harness has that id.</returns>
    public int? KillWorker(string owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        Process? process = _processes.FirstOrDefault(p => owner.EndsWith("-" + p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        if (process is null || process.HasExited)
        {
            return null;
        }

        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return process.Id;
    }

    /// <summary>The address a started process listens on (from its "Now listening on" log line).</summary>
    public async Task<string> UrlAsync(Process process, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(process);
        const string Marker = "Now listening on: ";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            string? log = System.IO.Directory.GetFiles(Directory, $"*-{process.Id}.log").FirstOrDefault();
            string? line = log is null ? null : ReadShared(log).Split('\n').FirstOrDefault(l => l.Contains(Marker, StringComparison.Ordinal));
            if (line is not null)
            {
                return line[(line.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length)..].Trim();
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"process {process.Id} did not say where it listens\n{Logs()}");
    }

    public async Task<Guid> StartRunAsync(int budget, bool storeEmbeddings = false)
    {
        await using SisomDbContext db = Database.CreateDbContext();
        return await new RunCreator(db, Options.Create(new RunOptions()), TimeProvider.System).CreateAsync(new RunRequest(PoolName, "resnet18", budget, StoreEmbeddings: storeEmbeddings), CancellationToken.None);
    }

    public async Task<RunState> WaitForRunAsync(Guid runId, TimeSpan timeout, Func<RunProgress, Task>? onProgress = null)
    {
        var clock = Stopwatch.StartNew();
        RunState state = RunState.Pending;
        while (clock.Elapsed < timeout && state is not (RunState.Completed or RunState.Failed))
        {
            await Task.Delay(500);
            await using SisomDbContext db = Database.CreateDbContext();
            state = await db.Runs.Where(r => r.Id == runId).Select(r => r.State).SingleAsync();
            if (onProgress is not null)
            {
                await onProgress(await RunProgress.LoadAsync(db, runId));
            }
        }

        return state;
    }

    public string Logs() => string.Join("\n", System.IO.Directory.GetFiles(Directory, "*.log").Select(f => $"== {Path.GetFileName(f)}\n{string.Join('\n', File.ReadLines(f).TakeLast(40))}"));

    public async ValueTask DisposeAsync()
    {
        foreach (Process process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }

    private static string ReadShared(string path)
    {
        lock (typeof(ClusterHarness))
        {
            return File.ReadAllText(path);
        }
    }

    private static void Append(string path, string? line)
    {
        if (line is not null)
        {
            lock (typeof(ClusterHarness))
            {
                File.AppendAllText(path, line + "\n");
            }
        }
    }
}
