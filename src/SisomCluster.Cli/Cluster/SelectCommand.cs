using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SisomCluster.Cli.Offline;
using SisomCluster.Contracts.Http;
using SisomCluster.Inference.Files;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom select RUN</c>: a completed run's stored selection for labeling, as CSV or JSON.</summary>
internal static class SelectCommand
{
    public static Command Create()
    {
        Argument<string> run = RunReference.Create();
        var format = new Option<string>("--format")
        {
            Description = "csv or json (rank, item id, scores, predicted class, reason); label-studio (Label Studio tasks JSON with the image URL, predictions and data.sisom_item_id) or jsonl (a line per item with its image URL), as the API exports them.",
            DefaultValueFactory = _ => "csv",
            CustomParser = OptionParsers.Choice("--format", TableFormatOption.Names("csv", "json", SelectionFormats.LabelStudio, SelectionFormats.Jsonl)),
        };
        var output = new Option<FileInfo?>("--out") { Description = "Write to this file (replaced atomically) instead of standard output.", HelpName = "FILE" };
        var command = new Command(
            "select",
            "Print a completed run's selection for labeling, in rank order (1 = label first): rank, item id, score, score before diversity/balance adjustments, predicted class, reason." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom select 3f2c9a1b --format csv --out to-label.csv" + Environment.NewLine
            + "  sisom select 3f2c9a1b --format label-studio --out tasks.json")
        {
            run, format, output,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            RunResponse found = await RunReference.ResolveCompletedAsync(client, parse, run, "its selection is", cancellationToken).ConfigureAwait(false);
            string chosen = parse.GetValue(format)!;
            if (chosen is SelectionFormats.LabelStudio or SelectionFormats.Jsonl)
            {
                await DownloadAsync(client, found.Id, chosen, parse.GetValue(output), parse.InvocationConfiguration.Output, cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var selection = new List<SelectionResponse>();
            await foreach (SelectionResponse s in client.SelectionAsync(found.Id, cancellationToken).ConfigureAwait(false))
            {
                selection.Add(s);
            }

            bool json = parse.GetValue(format) == "json";
            if (parse.GetValue(output) is { } file)
            {
                using AtomicFile target = AtomicFile.Create(file.FullName);
                Write(target.Stream, selection, json);
                target.Commit();
                parse.InvocationConfiguration.Output.WriteLine($"wrote {selection.Count} selected items to {file.FullName}");
            }
            else
            {
                using var buffer = new MemoryStream();
                Write(buffer, selection, json);
                parse.InvocationConfiguration.Output.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Copies the API's export of the selection (<see cref="SelectionFormats"/>) to <paramref name="file"/> (atomically) or to standard output.</summary>
    internal static async Task DownloadAsync(SisomApiClient client, Guid run, string format, FileInfo? file, TextWriter output, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            using AtomicFile target = AtomicFile.Create(file.FullName);
            long bytes = await client.DownloadSelectionAsync(run, format, target.Stream, cancellationToken).ConfigureAwait(false);
            target.Commit();
            output.WriteLine($"wrote the selection as {format} ({bytes} bytes) to {file.FullName}");
            return;
        }

        using var buffer = new MemoryStream();
        await client.DownloadSelectionAsync(run, format, buffer, cancellationToken).ConfigureAwait(false);
        output.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static void Write(Stream stream, IReadOnlyList<SelectionResponse> selection, bool json)
    {
        if (json)
        {
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            writer.WriteStartArray();
            foreach (SelectionResponse s in selection)
            {
                writer.WriteStartObject();
                writer.WriteNumber("rank", s.Rank);
                writer.WriteString("item_id", s.ItemId);
                Number(writer, "score", s.Score);
                Number(writer, "original_score", s.OriginalScore);
                writer.WriteNumber("predicted", s.Predicted);
                writer.WriteString("reason", s.Reason);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.Flush();
            stream.WriteByte((byte)'\n');
            return;
        }

        using var text = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true) { NewLine = "\n" };
        text.WriteLine("rank,item_id,score,original_score,predicted,reason");
        foreach (SelectionResponse s in selection)
        {
            text.WriteLine(string.Join(
                ',',
                s.Rank.ToString(CultureInfo.InvariantCulture),
                Csv(s.ItemId),
                ScoreCsv.FormatDouble(s.Score),
                ScoreCsv.FormatDouble(s.OriginalScore),
                s.Predicted.ToString(CultureInfo.InvariantCulture),
                Csv(s.Reason)));
        }
    }

    /// <summary>JSON has no infinities: a non-finite score is null.</summary>
    private static void Number(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes.</summary>
    private static string Csv(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
