using System.CommandLine;
using System.Globalization;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom pool add|list</c>: the server registers a pool from a source it can read, and lists pools.</summary>
internal static class PoolCommand
{
    public static Command Create() =>
        new("pool", "Pools of unlabeled items." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom pool add crawl-2026-11 /data/crawl/shards/")
        {
            CreateAdd(),
            CreateList(),
        };

    private static Command CreateAdd()
    {
        var name = new Argument<string>("NAME") { Description = "A unique pool name." };
        var source = new Argument<string>("SOURCE")
        {
            Description = "Where the items are, as the server and its workers read it: a directory of images, a folder of WebDataset .tar shards (or one .tar), "
                + "a CSV/JSONL manifest (id,uri[,source,captured_at]), an embeddings .npy with its ids file, or an s3://bucket/prefix folder of .tar shards "
                + "or img2dataset shards (NNNNN.tar + NNNNN.parquet, also as a directory). A relative path is made absolute here (for a server on this machine).",
        };
        var kind = new Option<string?>("--kind")
        {
            Description = "directory, tar, manifest, embeddings, s3 or img2dataset; default: detected by the server from SOURCE.",
            CustomParser = OptionParsers.Choice<string?>("--kind", TableFormatOption.Names("directory", "tar", "manifest", "embeddings", "s3", "img2dataset").ToDictionary(p => p.Key, p => (string?)p.Value)),
        };
        var command = new Command(
            "add",
            "Register a pool: the server lists its items; duplicate ids are reported, not added twice." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom pool add fashion pool/ --kind directory")
        {
            name, source, kind,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string given = parse.GetRequiredValue(source);
            string uri = given.Contains("://", StringComparison.Ordinal) ? given : Path.GetFullPath(given);
            using SisomApiClient client = connection.Client(parse);
            PoolRegisteredResponse added = await client.RegisterPoolAsync(new RegisterPoolRequest(parse.GetRequiredValue(name), uri, parse.GetValue(kind)), cancellationToken).ConfigureAwait(false);
            TextWriter error = parse.InvocationConfiguration.Error;
            foreach (string warning in added.Warnings)
            {
                error.WriteLine(warning);
            }

            if (added.WarningCount > added.Warnings.Count)
            {
                error.WriteLine($"... and {added.WarningCount - added.Warnings.Count} more warning(s)");
            }

            PoolResponse pool = added.Pool;
            parse.InvocationConfiguration.Output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"pool {pool.Name} ({pool.Id}): {pool.ItemCount} items from a {pool.SourceKind} source in {added.Shards} shard(s); {added.Duplicates} duplicate(s) skipped"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateList()
    {
        Option<string> format = TableFormatOption.Create();
        var command = new Command(
            "list",
            "List the pools: source, items and labels." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom pool list --format tsv")
        {
            format,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            TextWriter output = parse.InvocationConfiguration.Output;
            bool aligned = TableFormatOption.Aligned(parse, format, output);
            var table = new TextTable(
                new TableColumn("pool"),
                new TableColumn("kind"),
                new TableColumn("items", AlignRight: true),
                new TableColumn("labeled", AlignRight: true),
                new TableColumn("source"));
            await foreach (PoolResponse p in client.ListPoolsAsync(cancellationToken).ConfigureAwait(false))
            {
                table.AddRow(p.Name, p.SourceKind, p.ItemCount.ToString(CultureInfo.InvariantCulture), p.Labeled.ToString(CultureInfo.InvariantCulture), p.SourceUri);
            }

            table.Write(output, aligned);
            return ExitCodes.Success;
        });
        return command;
    }
}
