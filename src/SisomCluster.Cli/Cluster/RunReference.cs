using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Runs;

namespace SisomCluster.Cli.Cluster;

/// <summary>The <c>--run RUN</c> option of the report commands, and the lookup that turns an unknown id into a one-line error.</summary>
internal static class RunReference
{
    public static Option<Guid> Create() =>
        new("--run")
        {
            Description = "The run id (printed by run start).",
            HelpName = "RUN",
            Required = true,
        };

    public static async Task<Run> RequireAsync(SisomDbContext db, Guid runId, CancellationToken cancellationToken) =>
        await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false)
        ?? throw new UsageException($"no run {runId}.");

    /// <summary>The reports are written when a run completes: before that, say so rather than print nothing.</summary>
    /// <param name="what">The subject of the message, with its verb: "its selection is".</param>
    public static async Task<Run> RequireCompletedAsync(SisomDbContext db, Guid runId, string what, CancellationToken cancellationToken)
    {
        Run run = await RequireAsync(db, runId, cancellationToken).ConfigureAwait(false);
        return run.State == RunState.Completed
            ? run
            : throw new UsageException($"run {runId} is {run.State.ToString().ToLowerInvariant()}: {what} written when it completes (follow it with: sisom run watch {runId}).");
    }
}
