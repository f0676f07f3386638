namespace SisomCluster.Lab.Bench;

/// <summary>The stable ids of <see cref="ChaosFault"/> (<c>--faults</c>, the table, the JSON).</summary>
internal static class ChaosFaultNames
{
    private static readonly (ChaosFault Fault, string Name)[] Names =
    [
        (ChaosFault.WorkerKill, "worker-kill"),
        (ChaosFault.RabbitMqDown, "rabbitmq-down"),
        (ChaosFault.PostgresDown, "postgres-down"),
        (ChaosFault.QueuePurge, "queue-purge"),
        (ChaosFault.DuplicateDelivery, "duplicate-delivery"),
        (ChaosFault.PoisonShard, "poison-shard"),
        (ChaosFault.CoordinatorRestart, "coordinator-restart"),
    ];

    public static IReadOnlyList<string> All { get; } = Names.Select(n => n.Name).ToArray();

    public static string Name(ChaosFault fault) => Names.Single(n => n.Fault == fault).Name;

    public static ChaosFault? Parse(string name) =>
        Names.Where(n => string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase)).Select(n => (ChaosFault?)n.Fault).FirstOrDefault();
}
