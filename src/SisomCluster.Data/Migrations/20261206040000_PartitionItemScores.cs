using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <summary>
    /// <c>item_scores</c> becomes a table partitioned by <c>LIST (run_id)</c>, one partition per run
    /// (<c>item_scores_r&lt;run id, 32 hex digits&gt;</c>, <see cref="Results.ItemScorePartitions"/>): a run's primary-key
    /// index covers only its own rows, the worker COPYs straight into its run's partition, and deleting a run drops a
    /// table instead of deleting its rows. A trigger on <c>runs</c> creates the partition with the run (as a plain table,
    /// then <c>ATTACH PARTITION</c>, which takes only SHARE UPDATE EXCLUSIVE on <c>item_scores</c>, so readers and the
    /// other runs' writers are not blocked). Existing rows are moved into their runs' partitions. The EF model does not
    /// change: the table keeps its name, columns and key; partitioning is DDL the model cannot express.
    /// </summary>
    public partial class PartitionItemScores : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The helper qualifies every name with the schema it is given (the runs table's, from the trigger), so it works
            // whatever the caller's search_path. The partition is created as a table of its own and then attached: CREATE
            // TABLE ... PARTITION OF would take ACCESS EXCLUSIVE on item_scores and wait for every open shard commit.
            migrationBuilder.Sql("""
                CREATE FUNCTION sisom_attach_item_scores_partition(schema_name text, run uuid) RETURNS void
                LANGUAGE plpgsql AS $$
                DECLARE
                    part text := 'item_scores_r' || replace(run::text, '-', '');
                BEGIN
                    EXECUTE format('CREATE TABLE %I.%I (LIKE %I.item_scores INCLUDING DEFAULTS)', schema_name, part, schema_name);
                    EXECUTE format('ALTER TABLE %I.%I ADD PRIMARY KEY (run_id, item_id)', schema_name, part);
                    EXECUTE format('ALTER TABLE %I.item_scores ATTACH PARTITION %I.%I FOR VALUES IN (%L)', schema_name, schema_name, part, run);
                END
                $$;
                """);
            migrationBuilder.Sql("""
                CREATE FUNCTION sisom_runs_item_scores_partition() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM sisom_attach_item_scores_partition(TG_TABLE_SCHEMA, NEW.id);
                    RETURN NULL;
                END
                $$;
                """);

            migrationBuilder.Sql("ALTER TABLE item_scores RENAME TO item_scores_unpartitioned");
            migrationBuilder.Sql("ALTER TABLE item_scores_unpartitioned RENAME CONSTRAINT pk_item_scores TO pk_item_scores_unpartitioned");
            migrationBuilder.Sql("CREATE TABLE item_scores (LIKE item_scores_unpartitioned INCLUDING DEFAULTS) PARTITION BY LIST (run_id)");
            migrationBuilder.Sql("ALTER TABLE item_scores ADD CONSTRAINT pk_item_scores PRIMARY KEY (run_id, item_id)");

            // A partition for every run, and for rows whose run is gone (item_scores never had a foreign key): nothing is lost.
            migrationBuilder.Sql("""
                SELECT sisom_attach_item_scores_partition(current_schema(), id)
                FROM (SELECT id FROM runs UNION SELECT DISTINCT run_id FROM item_scores_unpartitioned) AS r
                """);
            migrationBuilder.Sql("INSERT INTO item_scores SELECT * FROM item_scores_unpartitioned");
            migrationBuilder.Sql("DROP TABLE item_scores_unpartitioned");
            migrationBuilder.Sql("""
                CREATE TRIGGER tr_runs_item_scores_partition AFTER INSERT ON runs
                FOR EACH ROW EXECUTE FUNCTION sisom_runs_item_scores_partition()
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER tr_runs_item_scores_partition ON runs");
            migrationBuilder.Sql("ALTER TABLE item_scores RENAME TO item_scores_partitioned");
            migrationBuilder.Sql("ALTER TABLE item_scores_partitioned RENAME CONSTRAINT pk_item_scores TO pk_item_scores_partitioned");
            migrationBuilder.Sql("CREATE TABLE item_scores (LIKE item_scores_partitioned INCLUDING DEFAULTS)");
            migrationBuilder.Sql("ALTER TABLE item_scores ADD CONSTRAINT pk_item_scores PRIMARY KEY (run_id, item_id)");
            migrationBuilder.Sql("INSERT INTO item_scores SELECT * FROM item_scores_partitioned");
            migrationBuilder.Sql("DROP TABLE item_scores_partitioned");
            migrationBuilder.Sql("DROP FUNCTION sisom_runs_item_scores_partition()");
            migrationBuilder.Sql("DROP FUNCTION sisom_attach_item_scores_partition(text, uuid)");
        }
    }
}
