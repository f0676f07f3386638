using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <inheritdoc />
    public partial class RoundAttempts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "attempt",
                table: "rounds",
                type: "integer",
                nullable: false,
                defaultValue: 1);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "attempt",
                table: "rounds");
        }
    }
}
