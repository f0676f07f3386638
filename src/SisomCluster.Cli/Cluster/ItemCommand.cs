using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom item show|similar</c>: one item of a run (scores, flags, label, rank) and its nearest neighbours.</summary>
internal static class ItemCommand
{
    private static readonly JsonSerializerOptions Indented = new(SisomJson.Options) { WriteIndented = true };

    public static Command Create() =>
        new("item", "Items of a run: scores and flags, and similar items by stored embeddings." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom item show 3f2c9a1b shard-0003/000017")
        {
            CreateShow(),
            CreateSimilar(),
        };

    private static Command CreateShow()
    {
        Argument<string> run = RunReference.Create();
        var item = new Argument<string>("ITEM") { Description = "The item id (slashes allowed)." };
        var command = new Command(
            "show",
            "Print an item's scores and flags in a run, its nearest reference, label and selection rank, as JSON." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom item show 3f2c9a1b shard-0003/000017")
        {
            run, item,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            RunResponse found = await RunReference.ResolveAsync(client, parse, run, cancellationToken).ConfigureAwait(false);
            ItemDetailResponse detail = await client.ItemAsync(found.Id, parse.GetRequiredValue(item), cancellationToken).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(detail, Indented));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateSimilar()
    {
        Argument<string> run = RunReference.Create();
        var item = new Argument<string>("ITEM") { Description = "The item id (slashes allowed)." };
        var k = new Option<int>("--k")
        {
            Description = "How many neighbours.",
            DefaultValueFactory = _ => 10,
            CustomParser = OptionParsers.Integer("--k", v => v is >= 1 and <= 100, "an integer in 1..100"),
        };
        Option<string> format = TableFormatOption.Create();
        var command = new Command(
            "similar",
            "List the k items of a run nearest to ITEM by cosine distance of stored embeddings (the run must store them: run start --store-embeddings)." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom item similar 3f2c9a1b shard-0003/000017 --k 5")
        {
            run, item, k, format,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            RunResponse found = await RunReference.ResolveAsync(client, parse, run, cancellationToken).ConfigureAwait(false);
            SimilarItemsResponse similar = await client.SimilarAsync(found.Id, parse.GetRequiredValue(item), parse.GetValue(k), cancellationToken).ConfigureAwait(false);
            TextWriter output = parse.InvocationConfiguration.Output;
            bool aligned = TableFormatOption.Aligned(parse, format, output);
            var table = new TextTable(new TableColumn("item"), new TableColumn("distance", AlignRight: true));
            foreach (SimilarItemResponse n in similar.Neighbours)
            {
                table.AddRow(n.ItemId, n.Distance.ToString(aligned ? "0.0000" : "R", CultureInfo.InvariantCulture));
            }

            table.Write(output, aligned);
            return ExitCodes.Success;
        });
        return command;
    }
}
