using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <inheritdoc />
    public partial class AddShardAggregates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "shard_aggregates",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    shard_id = table.Column<int>(type: "integer", nullable: false),
                    candidate_filter = table.Column<string>(type: "text", nullable: false),
                    candidate_limit = table.Column<int>(type: "integer", nullable: false),
                    boundary_sisom = table.Column<double>(type: "double precision", nullable: true),
                    boundary_item_id = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_shard_aggregates", x => new { x.run_id, x.shard_id });
                    table.ForeignKey(
                        name: "fk_shard_aggregates_shards_run_id_shard_id",
                        columns: x => new { x.run_id, x.shard_id },
                        principalTable: "shards",
                        principalColumns: new[] { "run_id", "shard_id" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "shard_candidates",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    item_id = table.Column<string>(type: "text", nullable: false),
                    shard_id = table.Column<int>(type: "integer", nullable: false),
                    sisom = table.Column<double>(type: "double precision", nullable: false),
                    sisome = table.Column<double>(type: "double precision", nullable: false),
                    knn = table.Column<double>(type: "double precision", nullable: true),
                    energy = table.Column<double>(type: "double precision", nullable: false),
                    predicted = table.Column<int>(type: "integer", nullable: false),
                    flagged = table.Column<bool>(type: "boolean", nullable: false),
                    d_in = table.Column<double>(type: "double precision", nullable: false),
                    d_out = table.Column<double>(type: "double precision", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_shard_candidates", x => new { x.run_id, x.item_id });
                    table.ForeignKey(
                        name: "fk_shard_candidates_shard_aggregates_run_id_shard_id",
                        columns: x => new { x.run_id, x.shard_id },
                        principalTable: "shard_aggregates",
                        principalColumns: new[] { "run_id", "shard_id" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "shard_drift",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    shard_id = table.Column<int>(type: "integer", nullable: false),
                    bucket_kind = table.Column<string>(type: "text", nullable: false),
                    bucket = table.Column<string>(type: "text", nullable: false),
                    scored = table.Column<long>(type: "bigint", nullable: false),
                    flagged = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_shard_drift", x => new { x.run_id, x.shard_id, x.bucket_kind, x.bucket });
                    table.CheckConstraint("ck_shard_drift_bucket_kind", "bucket_kind IN ('hour', 'source')");
                    table.ForeignKey(
                        name: "fk_shard_drift_shard_aggregates_run_id_shard_id",
                        columns: x => new { x.run_id, x.shard_id },
                        principalTable: "shard_aggregates",
                        principalColumns: new[] { "run_id", "shard_id" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "shard_histograms",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    shard_id = table.Column<int>(type: "integer", nullable: false),
                    score_kind = table.Column<string>(type: "text", nullable: false),
                    width = table.Column<double>(type: "double precision", nullable: false),
                    bins = table.Column<long[]>(type: "bigint[]", nullable: false),
                    counts = table.Column<long[]>(type: "bigint[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_shard_histograms", x => new { x.run_id, x.shard_id, x.score_kind });
                    table.ForeignKey(
                        name: "fk_shard_histograms_shard_aggregates_run_id_shard_id",
                        columns: x => new { x.run_id, x.shard_id },
                        principalTable: "shard_aggregates",
                        principalColumns: new[] { "run_id", "shard_id" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_shard_candidates_run_id_shard_id",
                table: "shard_candidates",
                columns: new[] { "run_id", "shard_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "shard_candidates");

            migrationBuilder.DropTable(
                name: "shard_drift");

            migrationBuilder.DropTable(
                name: "shard_histograms");

            migrationBuilder.DropTable(
                name: "shard_aggregates");
        }
    }
}
