using Microsoft.EntityFrameworkCore.Migrations;
using Pgvector;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <inheritdoc />
    public partial class KnnScoreAndReferenceItems : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "knn_k",
                table: "scoring_contexts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<double>(
                name: "threshold_energy",
                table: "scoring_contexts",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "threshold_knn",
                table: "scoring_contexts",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ood_score",
                table: "runs",
                type: "text",
                nullable: false,
                defaultValue: "sisom");

            migrationBuilder.AddColumn<Vector>(
                name: "feature",
                table: "reference_items",
                type: "vector",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "is_reference",
                table: "item_scores",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<double>(
                name: "knn",
                table: "item_scores",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "ood_energy",
                table: "item_scores",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "ood_knn",
                table: "item_scores",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddCheckConstraint(
                name: "ck_runs_ood_score",
                table: "runs",
                sql: "ood_score IN ('sisom', 'sisome', 'knn', 'energy')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_runs_ood_score",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "knn_k",
                table: "scoring_contexts");

            migrationBuilder.DropColumn(
                name: "threshold_energy",
                table: "scoring_contexts");

            migrationBuilder.DropColumn(
                name: "threshold_knn",
                table: "scoring_contexts");

            migrationBuilder.DropColumn(
                name: "ood_score",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "feature",
                table: "reference_items");

            migrationBuilder.DropColumn(
                name: "is_reference",
                table: "item_scores");

            migrationBuilder.DropColumn(
                name: "knn",
                table: "item_scores");

            migrationBuilder.DropColumn(
                name: "ood_energy",
                table: "item_scores");

            migrationBuilder.DropColumn(
                name: "ood_knn",
                table: "item_scores");
        }
    }
}
