using Microsoft.EntityFrameworkCore;
using SisomCluster.Core.Baselines;
using SisomCluster.Core.Scoring;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Results;

/// <summary>
/// What a shard's commit writes: every score in the column of its name, non-finite values and nulls, error rows, a shard
/// larger than a chunk, an item another shard already scored, a commit given up. Attempts, fences and locks:
/// ShardCommitFencingTests.
/// </summary>
public sealed class ShardResultWriterTests : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset At = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly DatabaseFixture _fixture;
    private readonly ShardResultWriter _writer;

    public ShardResultWriterTests(DatabaseFixture fixture)
    {
        _fixture = fixture;
        _writer = new ShardResultWriter(fixture.DataSource);
    }

    [Fact]
    public async Task First_commit_inserts_the_rows_and_marks_the_shard_done()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture, shards: 2);
        List<ItemScoreRow> scores = ScoreRows.Make(contextId, 50);
        ItemErrorRow[] errors = [new("bad/0.jpg", "corrupt", "not a JPEG", At), new("bad/1.jpg", "empty", "0 bytes", At)];

        ShardCommitOutcome outcome = await _writer.CommitAsync(runId, 0, 1, scores, errors);

        Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, 50, 2), outcome);
        Assert.Equal(50, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(2, await _fixture.CountForRunAsync("item_errors", runId));
        await using SisomDbContext db = _fixture.CreateDbContext();
        Shard shard = await db.Shards.SingleAsync(s => s.RunId == runId && s.ShardId == 0);
        Assert.Equal(ShardState.Done, shard.State);
        Assert.Equal(50, shard.Scored);
        Assert.Equal(2, shard.Failed);
        Assert.NotNull(shard.FinishedAt);
        Assert.Equal(ShardState.Pending, (await db.Shards.SingleAsync(s => s.RunId == runId && s.ShardId == 1)).State);
        Assert.All(await db.ItemScores.Where(s => s.RunId == runId).ToListAsync(), s => Assert.Equal(0, s.ShardId));
    }

    [Fact]
    public async Task Infinity_NaN_and_nulls_round_trip()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        ItemScoreRow made = ScoreRows.Make(contextId, 1)[0];
        ItemScoreRow row = made with
        {
            Score = made.Score with
            {
                NearestReference = -1,
                DIn = double.PositiveInfinity,
                DOut = double.NaN,
                Ratio = double.NaN,
                Baselines = made.Score.Baselines with { Energy = double.NegativeInfinity },
                NoReference = true,
            },
            NearestReference = null,
            Embedding = null,
        };
        ItemScoreRow withEmbedding = ScoreRows.Make(contextId, 1, dimension: 8, prefix: "emb")[0];

        await _writer.CommitAsync(runId, 0, 1, [row, withEmbedding], []);

        await using SisomDbContext db = _fixture.CreateDbContext();
        ItemScore stored = await db.ItemScores.SingleAsync(s => s.RunId == runId && s.ItemId == row.ItemId);
        Assert.Equal(double.PositiveInfinity, stored.DIn);
        Assert.Null(stored.DOut);
        Assert.True(double.IsNaN(stored.Ratio));
        Assert.Equal(double.NegativeInfinity, stored.Energy);
        Assert.Null(stored.NearestReference);
        Assert.Null(stored.Embedding);
        Assert.True(stored.NoReference);
        Assert.Equal(contextId, stored.ContextId);
        Assert.Equal(row.ScoredAt, stored.ScoredAt);

        ItemScore embedded = await db.ItemScores.SingleAsync(s => s.RunId == runId && s.ItemId == withEmbedding.ItemId);
        Assert.Equal(withEmbedding.Embedding, embedded.Embedding!.ToArray());
        Assert.Equal(withEmbedding.Score.DOut, embedded.DOut);
        Assert.Equal(withEmbedding.NearestReference, embedded.NearestReference);
    }

    /// <summary>Distinct values in every score, two rows with opposite flags: a getter wired to the wrong column fails here.</summary>
    [Fact]
    public async Task Every_score_lands_in_the_column_of_its_name()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        var score = new SisomItemScore(
            Predicted: 7,
            NearestReference: 3,
            DIn: 1.5,
            DOut: 2.5,
            Ratio: 0.6,
            Sisom: 3.5,
            Sisome: 4.5,
            Knn: 0.875,
            Baselines: new LogitBaselines(Msp: 0.25, MaxLogit: -5.5, Energy: -6.5, Entropy: 0.75, Margin: -0.125),
            OodSisom: true,
            OodSisome: false,
            OodKnn: false,
            OodEnergy: true,
            NoReference: true,
            IsReference: false);

        // Three rows give the six flags six different patterns (a, b, c bits): sisom 100, sisome 010, knn 001, energy 110, no_reference 101, is_reference 011.
        ItemScoreRow first = new() { ItemId = "a", ContextId = contextId, Score = score, NearestReference = "ref/3", ScoredAt = At };
        ItemScoreRow second = first with { ItemId = "b", Score = score with { OodSisom = false, OodSisome = true, OodKnn = false, OodEnergy = true, NoReference = false, IsReference = true } };
        ItemScoreRow third = first with { ItemId = "c", Score = score with { OodSisom = false, OodSisome = false, OodKnn = true, OodEnergy = false, NoReference = true, IsReference = true, Knn = double.NaN } };

        await _writer.CommitAsync(runId, 0, 1, [first, second, third], []);

        await using SisomDbContext db = _fixture.CreateDbContext();
        ItemScore a = await db.ItemScores.SingleAsync(s => s.RunId == runId && s.ItemId == "a");
        Assert.Equal(
            (contextId, 0, 7, "ref/3", 1.5, (double?)2.5, 0.6, -6.5, 3.5, 4.5, 0.25, -5.5, 0.75, -0.125, At),
            (a.ContextId, a.ShardId, a.Predicted, a.NearestReference, a.DIn, a.DOut, a.Ratio, a.Energy, a.Sisom, a.Sisome, a.Msp, a.MaxLogit, a.Entropy, a.Margin, a.ScoredAt));
        Assert.Equal((double?)0.875, a.Knn);
        Assert.Equal((true, false, false, true, true, false), (a.OodSisom, a.OodSisome, a.OodKnn, a.OodEnergy, a.NoReference, a.IsReference));
        ItemScore b = await db.ItemScores.SingleAsync(s => s.RunId == runId && s.ItemId == "b");
        Assert.Equal((false, true, false, true, false, true), (b.OodSisom, b.OodSisome, b.OodKnn, b.OodEnergy, b.NoReference, b.IsReference));
        ItemScore c = await db.ItemScores.SingleAsync(s => s.RunId == runId && s.ItemId == "c");
        Assert.Equal((false, false, true, false, true, true), (c.OodSisom, c.OodSisome, c.OodKnn, c.OodEnergy, c.NoReference, c.IsReference));

        // A context without a KNN bank gives NaN: stored as NULL, like an undefined d_out.
        Assert.Null(c.Knn);
    }

    [Fact]
    public async Task Error_rows_land_in_item_errors()
    {
        (Guid runId, _) = await Seed.RunWithContextAsync(_fixture, shards: 4);
        ItemErrorRow[] errors =
        [
            new("a.jpg", "corrupt", "invalid Huffman code", At),
            new("b.png", "truncated", "data ends at byte 811", At.AddSeconds(1)),
            new("c.webp", "decompression_bomb", "40000x40000 exceeds the pixel limit", At.AddSeconds(2)),
        ];

        ShardCommitOutcome outcome = await _writer.CommitAsync(runId, 3, 1, [], errors);

        Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, 0, 3), outcome);
        await using SisomDbContext db = _fixture.CreateDbContext();
        List<ItemError> stored = await db.ItemErrors.Where(e => e.RunId == runId).OrderBy(e => e.ItemId).ToListAsync();
        Assert.Equal(errors.Select(e => (e.ItemId, e.Reason, e.Detail, e.At)), stored.Select(e => (e.ItemId, e.Reason, e.Detail, e.At)));
        Assert.All(stored, e => Assert.Equal(3, e.ShardId));
    }

    [Fact]
    public async Task An_item_already_scored_by_another_shard_fails_that_commit_and_is_not_counted_twice()
    {
        // Pool listings skip repeated ids, so this takes a hand-made shard; the COPY into the run's partition meets the
        // primary key and the whole second commit is rolled back with the reason, instead of counting the item twice.
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture, shards: 2);
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, 10);
        await _writer.CommitAsync(runId, 0, 1, rows[..6], []);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _writer.CommitAsync(runId, 1, 1, rows[4..], []));

        Assert.Contains("another shard", error.Message, StringComparison.Ordinal);
        Assert.Equal(6, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(6, await _fixture.CountAsync("SELECT sum(scored) FROM shards WHERE run_id = $1", runId));
        Assert.Equal(ShardState.Pending, await _fixture.CreateDbContext().Shards.Where(s => s.RunId == runId && s.ShardId == 1).Select(s => s.State).SingleAsync());
    }

    [Fact]
    public async Task A_shard_bigger_than_a_chunk_streams_into_its_transaction_and_appears_only_at_completion()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        const int Count = (ShardCommit.ChunkRows * 2) + 7;
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, Count, dimension: 4);

        ShardCommit commit = await _writer.BeginAsync(runId, 0, 1);
        await using (commit)
        {
            // Added the way the worker adds them: a scored batch at a time.
            foreach (ItemScoreRow[] batch in rows.Chunk(100))
            {
                await commit.AddScoresAsync(batch);
            }

            await commit.AddErrorsAsync([new("bad/0.jpg", "corrupt", "not a JPEG", At)]);

            // Whole chunks went to the run's partition as they filled, uncommitted; the rest waits for completion; nobody
            // else sees any.
            Assert.Equal(ShardCommit.ChunkRows * 2, commit.ScoresStaged);
            Assert.Equal(0, await _fixture.CountForRunAsync("item_scores", runId));

            ShardCommitOutcome outcome = await commit.CompleteAsync();

            Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, Count, 1), outcome);
        }

        Assert.Equal(Count, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(1, await _fixture.CountForRunAsync("item_errors", runId));
        Assert.Equal(ShardCommitStatus.AlreadyDone, (await _writer.CommitAsync(runId, 0, 1, rows, [])).Status);
        Assert.Equal(Count, await _fixture.CountForRunAsync("item_scores", runId));
    }

    [Fact]
    public async Task Rows_with_embeddings_are_copied_in_chunks_bounded_by_bytes_not_rows()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, 4000, dimension: 512);
        // 256 + 4 × 512 = 2 304 estimated bytes a row: a 4 MiB chunk is 1 821 rows, far below the 8 192-row bound.
        int perChunk = (int)Math.Ceiling(ShardCommit.ChunkBytes / (double)ShardCommit.EstimatedBytes(rows[0]));
        Assert.Equal(1821, perChunk);

        ShardCommit commit = await _writer.BeginAsync(runId, 0, 1);
        await using (commit)
        {
            foreach (ItemScoreRow[] batch in rows.Chunk(256))
            {
                await commit.AddScoresAsync(batch);
            }

            Assert.Equal(perChunk * 2, commit.ScoresStaged);
            Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, rows.Count, 0), await commit.CompleteAsync());
        }

        Assert.Equal(rows.Count, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(rows.Count, await _fixture.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND vector_dims(embedding) = 512", runId));
    }

    [Fact]
    public async Task A_commit_given_up_before_completion_leaves_nothing()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);

        ShardCommit commit = await _writer.BeginAsync(runId, 0, 1);
        await using (commit)
        {
            await commit.AddScoresAsync(ScoreRows.Make(contextId, ShardCommit.ChunkRows + 1));
            await commit.AddErrorsAsync([new("bad/0.jpg", "corrupt", "not a JPEG", At)]);
            Assert.Equal(ShardCommit.ChunkRows, commit.ScoresStaged);
        }

        Assert.Equal(0, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(0, await _fixture.CountForRunAsync("item_errors", runId));
        Assert.Equal(ShardState.Pending, await _fixture.CreateDbContext().Shards.Where(s => s.RunId == runId).Select(s => s.State).SingleAsync());
        Assert.Equal(ShardCommitStatus.Committed, (await _writer.CommitAsync(runId, 0, 1, ScoreRows.Make(contextId, 3), [])).Status);
    }
}
