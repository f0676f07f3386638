using System.Text.Json;
using System.Text.Json.Serialization;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// The CLI's config file (<c>~/.config/sisom/config.json</c>, or <c>$XDG_CONFIG_HOME/sisom/config.json</c>, or the path in
/// <c>SISOM_CONFIG</c>): the server and the API key that <c>sisom login</c> and <c>sisom demo</c> write. It holds a
/// secret, so it is written with mode 0600 (owner read/write only), atomically.
/// </summary>
internal sealed record CliConfig(
    [property: JsonPropertyName("server")] string? Server,
    [property: JsonPropertyName("api_key")] string? ApiKey)
{
    public const string PathVariable = "SISOM_CONFIG";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string DefaultPath()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } explicitPath)
        {
            return Path.GetFullPath(explicitPath);
        }

        string root = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(root, "sisom", "config.json");
    }

    /// <returns>The config, or null when there is no file.</returns>
    public static CliConfig? Load(string? path = null)
    {
        path ??= DefaultPath();
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path}: not a sisom config file ({e.Message}); fix it or run sisom login again.");
        }
    }

    public void Save(string? path = null)
    {
        path ??= DefaultPath();
        string directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, this, Indented);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
