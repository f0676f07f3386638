using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <inheritdoc />
    public partial class ReferenceState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "reference_states",
                columns: table => new
                {
                    context_id = table.Column<Guid>(type: "uuid", nullable: false),
                    alpha = table.Column<double>(type: "double precision", nullable: false),
                    margins = table.Column<double[]>(type: "double precision[]", nullable: false),
                    margin_neighbours = table.Column<int[]>(type: "integer[]", nullable: false),
                    loo_neighbours = table.Column<int[]>(type: "integer[]", nullable: false),
                    loo_distances = table.Column<double[]>(type: "double precision[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reference_states", x => new { x.context_id, x.alpha });
                    table.ForeignKey(
                        name: "fk_reference_states_scoring_contexts_context_id",
                        column: x => x.context_id,
                        principalTable: "scoring_contexts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "reference_states");
        }
    }
}
