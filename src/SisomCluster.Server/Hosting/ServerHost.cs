namespace SisomCluster.Server.Hosting;

/// <summary>How <c>sisom-server</c> builds its host.</summary>
public static class ServerHost
{
    /// <summary>
    /// The web application builder with the server's content root at the directory it is installed in
    /// (<see cref="AppContext.BaseDirectory"/>), not the working directory: the host watches its content root, with every
    /// folder below it, for changes to <c>appsettings.json</c>. Started from a checkout (benchmarks, the local cluster),
    /// that was the whole tree with PostgreSQL's data directory in it — 4 536 inotify watches, and every write the
    /// database made woke the watcher of every server process (1.9 % of a re-scoring worker's CPU). Configuration is read
    /// as before: environment variables, the command line, and an optional <c>appsettings.json</c> beside
    /// <c>sisom-server.dll</c>.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args) =>
        WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
}
