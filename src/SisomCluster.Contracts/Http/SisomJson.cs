using System.Text.Json;
using System.Text.Json.Serialization;

namespace SisomCluster.Contracts.Http;

/// <summary>The API's JSON conventions, one definition for the server and its clients.</summary>
public static class SisomJson
{
    /// <summary>snake_case names; d_in is +∞ when the predicted class has no reference, written as "Infinity".</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        return options;
    }
}
