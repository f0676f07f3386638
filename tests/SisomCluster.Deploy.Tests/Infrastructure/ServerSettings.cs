using System.Reflection;
using MassTransit;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Coordinator;
using SisomCluster.Server.Messaging;
using SisomCluster.Server.Models;
using SisomCluster.Server.Pools;
using SisomCluster.Server.Runs;
using SisomCluster.Server.Worker;

namespace SisomCluster.Deploy.Tests.Infrastructure;

/// <summary>The settings the server reads, taken from its code: the manifests and the docs are checked against these.</summary>
public static class ServerSettings
{
    public const string QueuePrefix = "Server__QueuePrefix";

    /// <summary>Connection strings read by AddSisomServer; the server stops at start-up without them.</summary>
    public static readonly string[] ConnectionStrings = ["ConnectionStrings__Sisom", "ConnectionStrings__RabbitMq"];

    /// <summary>Set per Deployment (CPU or GPU image), not in the shared ConfigMap.</summary>
    public static readonly string[] PerDeployment = ["Worker__Provider"];

    /// <summary>Left at its default on purpose: host name and process id name a worker in its leases.</summary>
    public static readonly string[] Defaulted = ["Worker__WorkerId"];

    /// <summary>Every option as its environment variable: Section__Property of each options class, and Server__QueuePrefix.</summary>
    public static IReadOnlyList<string> Options { get; } =
    [
        QueuePrefix,
        .. OptionsOf(typeof(RunOptions), RunOptions.SectionName),
        .. OptionsOf(typeof(CoordinatorOptions), CoordinatorOptions.SectionName),
        .. OptionsOf(typeof(WorkerOptions), WorkerOptions.SectionName),
        .. OptionsOf(typeof(ModelOptions), ModelOptions.SectionName),
        .. OptionsOf(typeof(AggregatorOptions), AggregatorOptions.SectionName),
        .. OptionsOf(typeof(ModelDirectoryOptions), ModelDirectoryOptions.SectionName),
        .. OptionsOf(typeof(MessagingOptions), MessagingOptions.SectionName),
        .. OptionsOf(typeof(S3Options), S3Options.SectionName),
        PoolOptions.SectionName + "__" + nameof(PoolOptions.Img2DatasetSourceColumn),
        PoolOptions.SectionName + "__" + nameof(PoolOptions.Img2DatasetCapturedAtColumn),

        // A list (Pools__AllowedRoots__0, __1, …): the deployments set the first, the pool volume.
        PoolOptions.SectionName + "__" + nameof(PoolOptions.AllowedRoots) + "__0",
    ];

    /// <summary>The ScoreShard queue for a prefix, named by the same formatter as the server's bus setup.</summary>
    public static string ScoreShardQueue(string prefix) =>
        new KebabCaseEndpointNameFormatter(prefix, includeNamespace: false).Consumer<ScoreShardConsumer>();

    private static IEnumerable<string> OptionsOf(Type type, string section) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => section + "__" + p.Name);
}
