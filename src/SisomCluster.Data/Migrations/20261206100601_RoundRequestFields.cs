using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <inheritdoc />
    public partial class RoundRequestFields : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "class_names",
                table: "rounds",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "model",
                table: "rounds",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ood_score",
                table: "rounds",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "quantile",
                table: "rounds",
                type: "double precision",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "class_names",
                table: "rounds");

            migrationBuilder.DropColumn(
                name: "model",
                table: "rounds");

            migrationBuilder.DropColumn(
                name: "ood_score",
                table: "rounds");

            migrationBuilder.DropColumn(
                name: "quantile",
                table: "rounds");
        }
    }
}
