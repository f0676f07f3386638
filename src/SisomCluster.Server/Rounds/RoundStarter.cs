using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SisomCluster.Data;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Rounds;
using SisomCluster.Server.Models;
using SisomCluster.Server.Runs;

namespace SisomCluster.Server.Rounds;

/// <summary>
/// Starts an active-learning round in one call: imports the round's labels (all or nothing, <see cref="LabelImporter"/>)
/// and creates the run on the pool, whose reference version then follows from the labels (ARCHITECTURE.md §3 step 0);
/// the run's finaliser writes thresholds and the selection (labeled and OOD-flagged items left out), and the round's
/// exports are the run's. Idempotent per round id: the labels, the run and the round row commit in one transaction (the
/// importer writes into this context's transaction), so asking again finds all three or none; the same id with other
/// labels is refused. A failed round is the exception: the same request under its id starts a new attempt (a new run,
/// <see cref="Round.Attempt"/> one more), so a retried scheduled Job recovers from a failed run instead of re-reading it.
/// </summary>
public sealed class RoundStarter(SisomDbContext db, RunCreator runs, TimeProvider time)
{
    /// <summary>
    /// Starts the round, or finds it (running or completed: nothing changes), or starts a new attempt of it (failed). The
    /// labels, the run and the round row are written in one transaction.
    /// </summary>
    /// <exception cref="LabelImportException">The labels had problems; nothing was imported and no round exists.</exception>
    /// <exception cref="RoundConflictException">The round id exists with other labels, pool, budget, model, quantile, OOD score or class names.</exception>
    public async Task<RoundStart> StartAsync(string roundId, string pool, string labels, IReadOnlyList<string>? classNames, RunRequest run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        string hash = Sha256(labels);
        string names = classNames is null ? "" : string.Join(',', classNames);
        Guid poolId = await db.Pools.Where(p => p.Name == pool).Select(p => p.Id).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (poolId == Guid.Empty)
        {
            throw new ArgumentException($"pool: no pool named '{pool}'.", nameof(pool));
        }

        // A round whose run has ended but which the aggregator's sweep has not moved on yet is moved now, for this id only:
        // a retry (a CronJob's next attempt) then starts a new attempt of a failed round instead of finding it "running".
        await RoundProgress.AdvanceAsync(db, time.GetUtcNow(), roundId, cancellationToken).ConfigureAwait(false);
        if (await FindAsync(roundId, poolId, hash, run, names, cancellationToken).ConfigureAwait(false) is { State: not RoundState.Failed } existing)
        {
            return new RoundStart(existing, Created: false);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Requests for one round id take turns: the second finds the first's round instead of importing and starting again.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended('round:' || {roundId}, 0))", cancellationToken).ConfigureAwait(false);
        Round? found = await FindAsync(roundId, poolId, hash, run, names, cancellationToken).ConfigureAwait(false);
        if (found is { State: not RoundState.Failed })
        {
            return new RoundStart(found, Created: false);
        }

        // Without class names a label may still be a name: the round's model's manifest names its classes (ClassNameResolver).
        (string model, IReadOnlyList<string>? manifestNames) = classNames is null
            ? await ClassNameResolver.ForImportAsync(db, runs.Models, poolId, run.Model, cancellationToken).ConfigureAwait(false)
            : (run.Model, null);
        FallbackClassNames? fallback = manifestNames is null ? null : new FallbackClassNames($"model {model}'s manifest", manifestNames);

        // The labels go into this transaction: a crash (or a failed run creation) before the commit leaves none behind.
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        LabelImportResult imported = await LabelImporter.ImportAsync(connection, poolId, new StringReader(labels), classNames, fallback, cancellationToken).ConfigureAwait(false);
        // The run's reference set is the pool's labels as this transaction sees them (this round's included), pinned now:
        // labels someone imports before the coordinator launches the run do not leak into it.
        Guid runId = await runs.CreateAsync(run with { PinLabels = true }, cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = time.GetUtcNow();
        Round round;
        if (found is null)
        {
            round = new Round
            {
                Id = roundId,
                PoolId = poolId,
                State = RoundState.Running,
                LabelsSha256 = hash,
                Budget = run.Budget,
                Model = run.Model,
                Quantile = run.Quantile,
                OodScore = run.OodScore,
                ClassNames = names,
                RunId = runId,
                LabelsAdded = imported.Added,
                LabelsUnchanged = imported.Unchanged,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Rounds.Add(round);
        }
        else
        {
            // A failed round asked for again with the same request (a retried CronJob Job): a new attempt with a new run; the
            // failed attempt's run stays as it ended. Its labels were committed with it, so this import finds them unchanged.
            round = found;
            round.Attempt++;
            round.State = RoundState.Running;
            round.RunId = runId;
            round.LabelsAdded = imported.Added;
            round.LabelsUnchanged = imported.Unchanged;
            round.Selected = null;
            round.Error = null;
            round.CompletedAt = null;
            round.UpdatedAt = now;
            db.Rounds.Update(round);
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new RoundStart(round, Created: true);
    }

    /// <summary>SHA-256 of the label text's UTF-8 bytes, lower-case hex.</summary>
    public static string Sha256(string labels) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(labels ?? "")));

    private async Task<Round?> FindAsync(string roundId, Guid poolId, string hash, RunRequest run, string classNames, CancellationToken cancellationToken)
    {
        Round? round = await db.Rounds.AsNoTracking().SingleOrDefaultAsync(r => r.Id == roundId, cancellationToken).ConfigureAwait(false);
        if (round is null)
        {
            return null;
        }

        // Every field that changes the round's result; the shard size does not (the selection is global). A round written
        // before the model, quantile, OOD score and class names were kept (null) is compared on the rest.
        string? difference = round.PoolId != poolId ? "another pool"
            : round.LabelsSha256 != hash ? $"other labels (SHA-256 {round.LabelsSha256[..12]}…, this request's {hash[..12]}…)"
            : round.Budget != run.Budget ? $"budget {round.Budget}, not {run.Budget}"
            : round.Model is { } model && model != run.Model ? $"model {model}, not {run.Model}"
            : round.Quantile is { } quantile && quantile != run.Quantile ? string.Create(CultureInfo.InvariantCulture, $"quantile {quantile}, not {run.Quantile}")
            : round.OodScore is { } ood && ood != run.OodScore ? $"OOD score {ood}, not {run.OodScore}"
            : round.ClassNames is { } names && names != classNames ? $"class names '{names}', not '{classNames}'"
            : null;
        return difference is null
            ? round
            : throw new RoundConflictException($"round '{roundId}' exists with {difference}; a round id names one round: use a new id for another request.");
    }
}
