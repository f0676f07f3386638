using System.CommandLine;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom labels import</c>: all-or-nothing label import through the API, every problem reported with its line number.</summary>
internal static class LabelsCommand
{
    public static Command Create() =>
        new("labels", "Labels of pool items." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom labels import --pool fashion labels.csv" + Environment.NewLine
            + "  sisom labels import --pool fashion --format label-studio export.json")
        {
            CreateImport(),
        };

    private static Command CreateImport()
    {
        var file = new Argument<string>("FILE") { Description = "CSV with id,label per line (header optional; a label is an integer 0..K-1 or a class name), or Label Studio's JSON export (--format label-studio)." };
        var pool = new Option<string>("--pool") { Description = "The pool the ids belong to.", Required = true };
        var classNames = new Option<string?>("--class-names") { Description = "Comma-separated class names in label order, to accept names in FILE. Default: the class_names of the model's manifest (--model).", HelpName = "A,B,C" };
        var model = new Option<string?>("--model") { Description = "Without --class-names: the model whose manifest's class_names the labels may use. Default: the model of the pool's newest run.", HelpName = "NAME" };
        Option<string> format = CreateFormat();
        var command = new Command(
            "import",
            "Import labels in one transaction: unknown ids, conflicting duplicates and bad labels are listed with line numbers and nothing is written." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom labels import --pool fashion --class-names shirt,trouser,dress labels.csv" + Environment.NewLine
            + "  sisom labels import --pool fashion --format label-studio project-1-export.json" + Environment.NewLine
            + "  sisom labels import --pool fashion --format label-studio --model fashion-cnn project-1-export.json")
        {
            file, pool, classNames, model, format,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetRequiredValue(file);
            if (!File.Exists(path))
            {
                throw new UsageException($"{path}: file not found.");
            }

            using SisomApiClient client = connection.Client(parse);
            string poolName = parse.GetRequiredValue(pool);
            string[]? names = parse.GetValue(classNames)?.Split(',', StringSplitOptions.TrimEntries);
            await using Stream stream = OpenLabels(path, parse.GetValue(format)!, parse.InvocationConfiguration.Output);
            try
            {
                LabelImportResponse result = await client.ImportLabelsAsync(poolName, stream, names, parse.GetValue(model), cancellationToken).ConfigureAwait(false);
                parse.InvocationConfiguration.Output.WriteLine($"imported labels into {poolName}: {result.Added} added, {result.Unchanged} unchanged, {result.Changed} changed");
                return ExitCodes.Success;
            }
            catch (SisomApiException e) when (e.Status == 404)
            {
                throw new UsageException($"--pool {poolName}: no such pool (sisom pool add).");
            }
            catch (SisomApiException e) when (e.Problem?.Problems is { Count: > 0 } problems)
            {
                TextWriter error = parse.InvocationConfiguration.Error;
                error.WriteLine($"error: {path}: {e.Problem.ProblemCount ?? problems.Count} problem(s); nothing was imported");
                foreach (LabelProblemResponse problem in problems)
                {
                    error.WriteLine($"  line {problem.Line}: {problem.Message}");
                }

                return ExitCodes.UsageError;
            }
        });
        return command;
    }

    /// <summary><c>--format csv|label-studio</c> of a label file.</summary>
    internal static Option<string> CreateFormat(string name = "--format") => new(name)
    {
        Description = "csv (id,label lines) or label-studio (Label Studio's JSON export of tasks made by sisom select --format label-studio: the item is data.sisom_item_id, the label the choice of the latest annotation).",
        DefaultValueFactory = _ => "csv",
        CustomParser = OptionParsers.Choice(name, TableFormatOption.Names("csv", "label-studio")),
    };

    /// <summary>
    /// The label file as the CSV the API takes: a CSV file as it is; a Label Studio export converted (every problem of it
    /// listed with its task, nothing sent when there is one).
    /// </summary>
    internal static Stream OpenLabels(string path, string format, TextWriter output)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"{path}: file not found.");
        }

        if (format != "label-studio")
        {
            return File.OpenRead(path);
        }

        try
        {
            using FileStream json = File.OpenRead(path);
            (string csv, int labeled, int skipped) = LabelStudioLabels.ToCsv(json);
            output.WriteLine($"read {labeled} labeled task(s) from {path}{(skipped > 0 ? $"; {skipped} task(s) without an annotation skipped" : "")}");
            return new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv));
        }
        catch (FormatException e)
        {
            throw new UsageException($"{path}: {e.Message}");
        }
    }
}
