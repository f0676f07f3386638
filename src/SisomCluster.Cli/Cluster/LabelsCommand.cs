using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Labels;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom labels import</c>: all-or-nothing label import, every problem reported with its line number.</summary>
internal static class LabelsCommand
{
    public static Command Create() =>
        new("labels", "Labels of pool items." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom labels import --pool fashion labels.csv")
        {
            CreateImport(),
        };

    private static Command CreateImport()
    {
        Option<string?> connection = DatabaseOption.Create();
        var file = new Argument<string>("FILE") { Description = "CSV with id,label per line (header optional); a label is an integer 0..K-1 or a class name." };
        var pool = new Option<string>("--pool") { Description = "The pool the ids belong to.", Required = true };
        var classNames = new Option<string?>("--class-names") { Description = "Comma-separated class names in label order, to accept names in FILE.", HelpName = "A,B,C" };
        var command = new Command(
            "import",
            "Import labels in one transaction: unknown ids, conflicting duplicates and bad labels are listed with line numbers and nothing is written." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom labels import --pool fashion --class-names shirt,trouser,dress labels.csv")
        {
            file, pool, classNames, connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetRequiredValue(file);
            if (!File.Exists(path))
            {
                throw new UsageException($"{path}: file not found.");
            }

            await using var dataSource = SisomDataSource.Create(DatabaseOption.Resolve(parse, connection));
            await using var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource));
            string poolName = parse.GetRequiredValue(pool);
            Guid poolId = await db.Pools.Where(p => p.Name == poolName).Select(p => p.Id).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            if (poolId == Guid.Empty)
            {
                throw new UsageException($"--pool {poolName}: no such pool (sisom pool add).");
            }

            string[]? names = parse.GetValue(classNames)?.Split(',', StringSplitOptions.TrimEntries);
            using StreamReader reader = File.OpenText(path);
            try
            {
                LabelImportResult result = await new LabelImporter(dataSource).ImportAsync(poolId, reader, names, cancellationToken).ConfigureAwait(false);
                parse.InvocationConfiguration.Output.WriteLine($"imported labels into {poolName}: {result.Added} added, {result.Unchanged} unchanged, {result.Changed} changed");
                return ExitCodes.Success;
            }
            catch (LabelImportException e)
            {
                TextWriter error = parse.InvocationConfiguration.Error;
                error.WriteLine($"error: {path}: {e.Problems.Count} problem(s); nothing was imported");
                foreach (LabelImportProblem problem in e.Problems.Take(LabelImportException.ListedInMessage))
                {
                    error.WriteLine($"  line {problem.Line}: {problem.Message}");
                }

                return ExitCodes.UsageError;
            }
        });
        return command;
    }
}
