using System.CommandLine;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// The RUN argument of every run command (always positional): a run id or a unique prefix of at least 8 hex digits, as
/// <c>sisom run list</c> and the dashboard show it.
/// </summary>
internal static class RunReference
{
    public static Argument<string> Create() =>
        new("RUN") { Description = $"The run: its id (printed by run start) or a unique prefix of at least {RunIds.MinPrefixLength} hex digits (as run list shows)." };

    public static async Task<RunResponse> ResolveAsync(SisomApiClient client, ParseResult parse, Argument<string> run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(parse);
        string text = parse.GetRequiredValue(run);
        try
        {
            RunIds.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message.Split(" (Parameter", 2)[0]);
        }

        try
        {
            return await client.ResolveRunAsync(text, cancellationToken).ConfigureAwait(false);
        }
        catch (SisomApiException e) when (e.Status == 404)
        {
            throw new UsageException($"no run {text} (sisom run list shows the runs).");
        }
    }

    /// <summary>The reports are written when a run completes: before that, say so rather than print nothing.</summary>
    /// <param name="what">The subject of the message, with its verb: "its selection is".</param>
    public static async Task<RunResponse> ResolveCompletedAsync(SisomApiClient client, ParseResult parse, Argument<string> run, string what, CancellationToken cancellationToken)
    {
        RunResponse found = await ResolveAsync(client, parse, run, cancellationToken).ConfigureAwait(false);
        return found.State == RunStates.Completed
            ? found
            : throw new UsageException($"run {found.Id} is {found.State}: {what} written when it completes (follow it with: sisom run watch {found.Id.ToString()[..RunIds.MinPrefixLength]}).");
    }
}
