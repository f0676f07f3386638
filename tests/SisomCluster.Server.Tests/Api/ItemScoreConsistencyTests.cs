using System.Reflection;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Results;
using SisomCluster.Server.Api;
using SisomCluster.Server.Api.Items;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// A stored score is spelled out in three places — the COPY row table (<see cref="ItemScoreColumns"/>), the EF entity
/// <see cref="ItemScore"/> and the API's <see cref="ItemScoresResponse"/> — and these tests hold them to one set of
/// names: a score added to one and forgotten in another fails here, not in production. No database needed: the EF
/// model is built from the context's configuration, the JSON with the API's own serializer settings.
/// </summary>
public sealed class ItemScoreConsistencyTests
{
    /// <summary>
    /// Stored but not in the <c>scores</c> object: the keys (the item detail names its run and item itself), the shard
    /// (bookkeeping) and the embedding (served by <c>/similar</c>).
    /// </summary>
    private static readonly string[] NotServed = ["run_id", "item_id", "shard_id", "embedding"];

    private static readonly DateTimeOffset At = new(2031, 5, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions ApiJson = CreateApiJson();

    [Fact]
    public void The_copy_writes_exactly_the_columns_the_ef_entity_maps()
    {
        Assert.Equal(EntityColumns().Keys.Order(StringComparer.Ordinal), ItemScoreColumns.Names.Order(StringComparer.Ordinal));
        Assert.Equal(ItemScoreColumns.Names.Count, ItemScoreColumns.Names.Distinct().Count());

        // The scores of issue 16 are among them (and so in every check below).
        Assert.Superset(new HashSet<string> { "knn", "ood_knn", "ood_energy", "is_reference" }, ItemScoreColumns.Names.ToHashSet());
    }

    [Fact]
    public void The_api_serves_every_stored_score_column_by_its_column_name()
    {
        IEnumerable<string> served = EntityColumns().Keys.Except(NotServed);

        Assert.Equal(served.Order(StringComparer.Ordinal), ServedFields(Sample(flag: null)).Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>Names agreeing is not enough: each field must carry its own column's value (no swapped arguments).</summary>
    [Fact]
    public void Each_api_field_carries_the_value_of_the_column_of_its_name()
    {
        Dictionary<string, IProperty> columns = EntityColumns();
        string[] flags = [.. columns.Where(c => c.Value.ClrType == typeof(bool)).Select(c => c.Key)];
        Assert.NotEmpty(flags);

        // Every flag true alone in turn, so that two flags mapped the wrong way round cannot agree by chance.
        foreach (string? flag in flags.Prepend(null))
        {
            ItemScore entity = Sample(flag);
            Dictionary<string, JsonElement> served = ServedFields(entity);
            foreach ((string column, JsonElement value) in served)
            {
                object? stored = columns[column].PropertyInfo!.GetValue(entity);
                object? read = stored switch
                {
                    null => value.ValueKind == JsonValueKind.Null ? null : value.GetRawText(),
                    double => value.GetDouble(),
                    int => value.GetInt32(),
                    bool => value.GetBoolean(),
                    string => value.GetString(),
                    Guid => value.GetGuid(),
                    DateTimeOffset => value.GetDateTimeOffset(),
                    _ => throw new InvalidOperationException($"No comparison for column {column} of type {stored.GetType()}."),
                };
                Assert.True(Equals(stored, read), $"API field {column} = {value.GetRawText()}, the column holds {stored} (flag {flag ?? "none"} set)");
            }
        }
    }

    /// <summary>The entity's mapped columns, by name, read from the EF model.</summary>
    private static Dictionary<string, IProperty> EntityColumns()
    {
        using SisomDbContext db = new SisomDesignTimeDbContextFactory().CreateDbContext([]);
        IEntityType entity = db.Model.FindEntityType(typeof(ItemScore)) ?? throw new InvalidOperationException("ItemScore is not mapped.");
        return entity.GetProperties().ToDictionary(p => p.GetColumnName(), p => p);
    }

    /// <summary>The leaf fields of the JSON the API writes for a score (nested objects such as <c>flags</c> flattened).</summary>
    private static Dictionary<string, JsonElement> ServedFields(ItemScore entity)
    {
        JsonElement json = JsonSerializer.SerializeToElement(ItemScoreMapping.From(entity), ApiJson);
        var fields = new Dictionary<string, JsonElement>();
        Flatten(json, fields);
        return fields;
    }

    private static JsonSerializerOptions CreateApiJson()
    {
        var options = new JsonSerializerOptions();
        SisomJson.Configure(options);
        return options;
    }

    private static void Flatten(JsonElement json, Dictionary<string, JsonElement> fields)
    {
        foreach (JsonProperty property in json.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                Flatten(property.Value, fields);
            }
            else
            {
                Assert.True(fields.TryAdd(property.Name, property.Value), $"The API writes {property.Name} twice.");
            }
        }
    }

    /// <summary>An entity whose every property holds a value no other property holds; only <paramref name="flag"/> is true.</summary>
    private static ItemScore Sample(string? flag)
    {
        var entity = new ItemScore { ItemId = "item" };
        int n = 0;
        foreach ((string column, IProperty property) in EntityColumns())
        {
            n++;
            PropertyInfo info = property.PropertyInfo!;
            Type type = Nullable.GetUnderlyingType(info.PropertyType) ?? info.PropertyType;
            object? value = type switch
            {
                _ when type == typeof(double) => 0.5 + n,
                _ when type == typeof(int) => 100 + n,
                _ when type == typeof(bool) => column == flag,
                _ when type == typeof(string) => $"value-{column}",
                _ when type == typeof(Guid) => new Guid(n, 0, 0, new byte[8]),
                _ when type == typeof(DateTimeOffset) => At.AddMinutes(n),
                _ => null,
            };
            info.SetValue(entity, value);
        }

        return entity;
    }
}
