using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <inheritdoc />
    public partial class CandidateFactorOnRun : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "candidate_factor",
                table: "runs",
                type: "integer",
                nullable: false,
                defaultValue: 4);

            migrationBuilder.CreateIndex(
                name: "ix_shard_candidates_run_id_sisom_item_id",
                table: "shard_candidates",
                columns: new[] { "run_id", "sisom", "item_id" },
                descending: new[] { false, true, false });

            migrationBuilder.AddCheckConstraint(
                name: "ck_runs_candidate_factor",
                table: "runs",
                sql: "candidate_factor BETWEEN 1 AND 100");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_shard_candidates_run_id_sisom_item_id",
                table: "shard_candidates");

            migrationBuilder.DropCheckConstraint(
                name: "ck_runs_candidate_factor",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "candidate_factor",
                table: "runs");
        }
    }
}
