using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <inheritdoc />
    public partial class AddRounds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "rounds",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    pool_id = table.Column<Guid>(type: "uuid", nullable: false),
                    state = table.Column<string>(type: "text", nullable: false),
                    labels_sha256 = table.Column<string>(type: "text", nullable: false),
                    budget = table.Column<int>(type: "integer", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    labels_added = table.Column<int>(type: "integer", nullable: false),
                    labels_unchanged = table.Column<int>(type: "integer", nullable: false),
                    selected = table.Column<int>(type: "integer", nullable: true),
                    error = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rounds", x => x.id);
                    table.CheckConstraint("ck_rounds_state", "state IN ('running', 'completed', 'failed')");
                    table.ForeignKey(
                        name: "fk_rounds_pools_pool_id",
                        column: x => x.pool_id,
                        principalTable: "pools",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_rounds_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateIndex(
                name: "ix_rounds_pool_id_created_at",
                table: "rounds",
                columns: new[] { "pool_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_rounds_run_id",
                table: "rounds",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_rounds_state",
                table: "rounds",
                column: "state");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rounds");
        }
    }
}
