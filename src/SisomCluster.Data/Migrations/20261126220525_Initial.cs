using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using Pgvector;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:vector", ",,");

            migrationBuilder.CreateTable(
                name: "item_errors",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    item_id = table.Column<string>(type: "text", nullable: false),
                    shard_id = table.Column<int>(type: "integer", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false),
                    detail = table.Column<string>(type: "text", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_item_errors", x => new { x.run_id, x.item_id });
                });

            migrationBuilder.CreateTable(
                name: "item_scores",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    item_id = table.Column<string>(type: "text", nullable: false),
                    context_id = table.Column<Guid>(type: "uuid", nullable: false),
                    shard_id = table.Column<int>(type: "integer", nullable: false),
                    predicted = table.Column<int>(type: "integer", nullable: false),
                    nearest_reference = table.Column<string>(type: "text", nullable: true),
                    d_in = table.Column<double>(type: "double precision", nullable: false),
                    d_out = table.Column<double>(type: "double precision", nullable: true),
                    ratio = table.Column<double>(type: "double precision", nullable: false),
                    energy = table.Column<double>(type: "double precision", nullable: false),
                    sisom = table.Column<double>(type: "double precision", nullable: false),
                    sisome = table.Column<double>(type: "double precision", nullable: false),
                    msp = table.Column<double>(type: "double precision", nullable: false),
                    max_logit = table.Column<double>(type: "double precision", nullable: false),
                    entropy = table.Column<double>(type: "double precision", nullable: false),
                    margin = table.Column<double>(type: "double precision", nullable: false),
                    ood_sisom = table.Column<bool>(type: "boolean", nullable: false),
                    ood_sisome = table.Column<bool>(type: "boolean", nullable: false),
                    no_reference = table.Column<bool>(type: "boolean", nullable: false),
                    scored_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    embedding = table.Column<Vector>(type: "vector", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_item_scores", x => new { x.run_id, x.item_id });
                });

            migrationBuilder.CreateTable(
                name: "pools",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    source_kind = table.Column<string>(type: "text", nullable: false),
                    source_uri = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    item_count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pools", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "items",
                columns: table => new
                {
                    pool_id = table.Column<Guid>(type: "uuid", nullable: false),
                    item_id = table.Column<string>(type: "text", nullable: false),
                    uri = table.Column<string>(type: "text", nullable: true),
                    source = table.Column<string>(type: "text", nullable: true),
                    captured_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ingested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_items", x => new { x.pool_id, x.item_id });
                    table.ForeignKey(
                        name: "fk_items_pools_pool_id",
                        column: x => x.pool_id,
                        principalTable: "pools",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "scoring_contexts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    pool_id = table.Column<Guid>(type: "uuid", nullable: false),
                    model_version = table.Column<string>(type: "text", nullable: false),
                    reference_version = table.Column<string>(type: "text", nullable: false),
                    alpha = table.Column<double>(type: "double precision", nullable: false),
                    layers = table.Column<string>(type: "jsonb", nullable: false),
                    r_avg = table.Column<double>(type: "double precision", nullable: false),
                    sd_r = table.Column<double>(type: "double precision", nullable: false),
                    mu_e = table.Column<double>(type: "double precision", nullable: false),
                    sd_e = table.Column<double>(type: "double precision", nullable: false),
                    sisome_weight = table.Column<double>(type: "double precision", nullable: false),
                    quantile = table.Column<double>(type: "double precision", nullable: false),
                    threshold_sisom = table.Column<double>(type: "double precision", nullable: false),
                    threshold_sisome = table.Column<double>(type: "double precision", nullable: false),
                    neighbour_rank = table.Column<int>(type: "integer", nullable: false),
                    class_count = table.Column<int>(type: "integer", nullable: false),
                    state_dimension = table.Column<int>(type: "integer", nullable: false),
                    head_weights = table.Column<double[]>(type: "double precision[]", nullable: true),
                    head_bias = table.Column<double[]>(type: "double precision[]", nullable: true),
                    alpha_grid = table.Column<string>(type: "jsonb", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_scoring_contexts", x => x.id);
                    table.ForeignKey(
                        name: "fk_scoring_contexts_pools_pool_id",
                        column: x => x.pool_id,
                        principalTable: "pools",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "labels",
                columns: table => new
                {
                    pool_id = table.Column<Guid>(type: "uuid", nullable: false),
                    item_id = table.Column<string>(type: "text", nullable: false),
                    label = table.Column<int>(type: "integer", nullable: false),
                    label_name = table.Column<string>(type: "text", nullable: true),
                    imported_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    import_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_labels", x => new { x.pool_id, x.item_id });
                    table.CheckConstraint("ck_labels_label", "label >= 0");
                    table.ForeignKey(
                        name: "fk_labels_items_pool_id_item_id",
                        columns: x => new { x.pool_id, x.item_id },
                        principalTable: "items",
                        principalColumns: new[] { "pool_id", "item_id" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "reference_items",
                columns: table => new
                {
                    context_id = table.Column<Guid>(type: "uuid", nullable: false),
                    item_id = table.Column<string>(type: "text", nullable: false),
                    label = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<Vector>(type: "vector", nullable: false),
                    margin = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reference_items", x => new { x.context_id, x.item_id });
                    table.ForeignKey(
                        name: "fk_reference_items_scoring_contexts_context_id",
                        column: x => x.context_id,
                        principalTable: "scoring_contexts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    pool_id = table.Column<Guid>(type: "uuid", nullable: false),
                    model_name = table.Column<string>(type: "text", nullable: false),
                    model_version = table.Column<string>(type: "text", nullable: false),
                    context_id = table.Column<Guid>(type: "uuid", nullable: true),
                    state = table.Column<string>(type: "text", nullable: false),
                    shard_size = table.Column<int>(type: "integer", nullable: false),
                    max_attempts = table.Column<int>(type: "integer", nullable: false, defaultValue: 3),
                    quantile = table.Column<double>(type: "double precision", nullable: false),
                    store_embeddings = table.Column<bool>(type: "boolean", nullable: false),
                    budget = table.Column<int>(type: "integer", nullable: false),
                    options = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_runs", x => x.id);
                    table.CheckConstraint("ck_runs_max_attempts", "max_attempts >= 1");
                    table.CheckConstraint("ck_runs_state", "state IN ('pending', 'running', 'finalizing', 'completed', 'failed', 'cancelled')");
                    table.ForeignKey(
                        name: "fk_runs_pools_pool_id",
                        column: x => x.pool_id,
                        principalTable: "pools",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_runs_scoring_contexts_context_id",
                        column: x => x.context_id,
                        principalTable: "scoring_contexts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "drift_points",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    bucket_kind = table.Column<string>(type: "text", nullable: false),
                    bucket = table.Column<string>(type: "text", nullable: false),
                    scored = table.Column<long>(type: "bigint", nullable: false),
                    flagged = table.Column<long>(type: "bigint", nullable: false),
                    rate = table.Column<double>(type: "double precision", nullable: false),
                    lower = table.Column<double>(type: "double precision", nullable: false),
                    upper = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_drift_points", x => new { x.run_id, x.bucket_kind, x.bucket });
                    table.CheckConstraint("ck_drift_points_bucket_kind", "bucket_kind IN ('hour', 'source')");
                    table.ForeignKey(
                        name: "fk_drift_points_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "selections",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    rank = table.Column<int>(type: "integer", nullable: false),
                    item_id = table.Column<string>(type: "text", nullable: false),
                    score = table.Column<double>(type: "double precision", nullable: false),
                    original_score = table.Column<double>(type: "double precision", nullable: false),
                    predicted = table.Column<int>(type: "integer", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_selections", x => new { x.run_id, x.rank });
                    table.CheckConstraint("ck_selections_rank", "rank >= 1");
                    table.ForeignKey(
                        name: "fk_selections_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "shards",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    shard_id = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<string>(type: "text", nullable: false),
                    attempt = table.Column<int>(type: "integer", nullable: false, defaultValue: 1),
                    lease_owner = table.Column<string>(type: "text", nullable: true),
                    lease_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    descriptor = table.Column<string>(type: "jsonb", nullable: false),
                    item_count = table.Column<int>(type: "integer", nullable: false),
                    scored = table.Column<int>(type: "integer", nullable: false),
                    failed = table.Column<int>(type: "integer", nullable: false),
                    published_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_shards", x => new { x.run_id, x.shard_id });
                    table.CheckConstraint("ck_shards_attempt", "attempt >= 1");
                    table.CheckConstraint("ck_shards_state", "state IN ('pending', 'leased', 'done', 'failed')");
                    table.ForeignKey(
                        name: "fk_shards_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "thresholds",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    context_id = table.Column<Guid>(type: "uuid", nullable: false),
                    score_kind = table.Column<string>(type: "text", nullable: false),
                    quantile = table.Column<double>(type: "double precision", nullable: false),
                    n = table.Column<int>(type: "integer", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    model_version = table.Column<string>(type: "text", nullable: false),
                    reference_version = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_thresholds", x => x.id);
                    table.ForeignKey(
                        name: "fk_thresholds_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_thresholds_scoring_contexts_context_id",
                        column: x => x.context_id,
                        principalTable: "scoring_contexts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_labels_import_id",
                table: "labels",
                column: "import_id");

            migrationBuilder.CreateIndex(
                name: "ix_pools_name",
                table: "pools",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_runs_context_id",
                table: "runs",
                column: "context_id");

            migrationBuilder.CreateIndex(
                name: "ix_runs_pool_id_created_at",
                table: "runs",
                columns: new[] { "pool_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_runs_state",
                table: "runs",
                column: "state");

            migrationBuilder.CreateIndex(
                name: "ix_scoring_contexts_pool_id_created_at",
                table: "scoring_contexts",
                columns: new[] { "pool_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_shards_state_lease_expires_at",
                table: "shards",
                columns: new[] { "state", "lease_expires_at" });

            migrationBuilder.CreateIndex(
                name: "ix_thresholds_context_id_score_kind_created_at",
                table: "thresholds",
                columns: new[] { "context_id", "score_kind", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_thresholds_run_id",
                table: "thresholds",
                column: "run_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "drift_points");

            migrationBuilder.DropTable(
                name: "item_errors");

            migrationBuilder.DropTable(
                name: "item_scores");

            migrationBuilder.DropTable(
                name: "labels");

            migrationBuilder.DropTable(
                name: "reference_items");

            migrationBuilder.DropTable(
                name: "selections");

            migrationBuilder.DropTable(
                name: "shards");

            migrationBuilder.DropTable(
                name: "thresholds");

            migrationBuilder.DropTable(
                name: "items");

            migrationBuilder.DropTable(
                name: "runs");

            migrationBuilder.DropTable(
                name: "scoring_contexts");

            migrationBuilder.DropTable(
                name: "pools");
        }
    }
}
