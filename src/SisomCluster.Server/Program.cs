using SisomCluster.Server.Hosting;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
ServerRoles roles = ServerRolesParser.Parse(builder.Configuration["roles"]);
builder.AddSisomServer(roles);
WebApplication app = builder.Build();
app.MapSisomServer(roles);
await app.RunAsync();
