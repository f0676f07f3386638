using SisomCluster.Server.Hosting;

if (AdminCommands.Handles(args))
{
    IConfiguration configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)).ToArray()).Build();
    return await AdminCommands.RunAsync(args, configuration, Console.Out, Console.Error);
}

WebApplicationBuilder builder = ServerHost.CreateBuilder(args);
ServerRoles roles = ServerRolesParser.Parse(builder.Configuration["roles"]);
builder.AddSisomServer(roles);
WebApplication app = builder.Build();
app.MapSisomServer(roles);
await app.RunAsync();
return 0;
