using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <inheritdoc />
    public partial class AddRunKnnOption : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Existing runs and contexts computed KNN (or, contexts stored before KNN, are marked by knn_k 0): true, not false.
            migrationBuilder.AddColumn<bool>(
                name: "knn",
                table: "scoring_contexts",
                type: "boolean",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<bool>(
                name: "knn",
                table: "runs",
                type: "boolean",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddCheckConstraint(
                name: "ck_runs_knn_ood_score",
                table: "runs",
                sql: "knn OR ood_score <> 'knn'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_runs_knn_ood_score",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "knn",
                table: "scoring_contexts");

            migrationBuilder.DropColumn(
                name: "knn",
                table: "runs");
        }
    }
}
