using System.CommandLine;
using SisomCluster.Contracts.Http;
using SisomCluster.Inference.Files;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom export RUN --out FILE</c>: a completed run's scores (or selection) as the Parquet file the API streams.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        Argument<string> run = RunReference.Create();
        var output = new Option<FileInfo>("--out") { Description = "The Parquet file to write (replaced atomically, once the whole export has arrived).", HelpName = "FILE", Required = true };
        var embeddings = new Option<bool>("--embeddings") { Description = "Add each item's stored embedding (a list of float); the run must have been started with --store-embeddings." };
        var selection = new Option<bool>("--selection") { Description = "Export the selection for labeling (rank, item id, score, …) instead of every item's scores." };
        var command = new Command(
            "export",
            "Write a completed run's item scores as Parquet: one row per scored item with every stored score and flag, the item's source and capture time (and, with --embeddings, its embedding); or, with --selection, its selection. The server streams the file in row groups." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom export 3f2c9a1b --out scores.parquet --embeddings")
        {
            run, output, embeddings, selection,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(embeddings) && result.GetValue(selection))
            {
                result.AddError("--embeddings applies to the scores export, not to --selection.");
            }
        });
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            bool wantSelection = parse.GetValue(selection);
            RunResponse found = await RunReference.ResolveCompletedAsync(client, parse, run, wantSelection ? "its selection is" : "its scores are exported", cancellationToken).ConfigureAwait(false);
            FileInfo file = parse.GetRequiredValue(output);
            using AtomicFile target = AtomicFile.Create(file.FullName);
            long bytes = await client.ExportAsync(found.Id, wantSelection, parse.GetValue(embeddings), target.Stream, cancellationToken).ConfigureAwait(false);
            target.Commit();
            parse.InvocationConfiguration.Output.WriteLine($"wrote the {(wantSelection ? "selection" : "scores")} of run {found.Id} to {file.FullName} ({bytes} bytes)");
            return ExitCodes.Success;
        });
        return command;
    }
}
