using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SisomCluster.Data.Migrations
{
    /// <summary>
    /// A partial index of <c>items</c> by pool over the items that have a source or capture time: whether a pool has any
    /// (the drift lookup a worker decides at a run's first shard, ShardAggregation.DriftForAsync) becomes one index probe
    /// instead of a read of all the pool's items, which a stored-embeddings pool (none described) made every time.
    /// Building it reads <c>items</c> once and blocks writes to it meanwhile: run <c>sisom-server migrate</c> between runs.
    /// </summary>
    public partial class ItemsDescribedIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_items_pool_id",
                table: "items",
                column: "pool_id",
                filter: "source IS NOT NULL OR captured_at IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_items_pool_id",
                table: "items");
        }
    }
}
