// An application with endpoints of its own that also serves a Modulus module tree: AddModulus() on
// its host, the transports it wants, and MapModulus() beside its own routes. Every setting comes
// from configuration: appsettings.json's "Modulus" section, Modulus__* environment variables, or
// --Modulus:TcpPort=7151 style command-line arguments.
using Modulus.Hosting;
using Modulus.Runtime;

var builder = WebApplication.CreateBuilder(args);

// Kestrel takes only explicitly configured endpoints once Modulus adds its listeners (gRPC and TCP),
// so the application names its own HTTP endpoint here rather than through --urls.
var appPort = builder.Configuration.GetValue("App:Port", 5080);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(appPort));

builder.Services.AddModulus().AddGrpcTransport().AddTcpTransport();

var app = builder.Build();

// The application's own endpoints, untouched by Modulus.
app.MapGet("/", () => "An application that also serves Modulus modules.");
app.MapGet("/modules", (IModuleCatalog catalog) => catalog.Modules.Select(m => new { m.Name, m.Version, m.ContentHash }));

app.MapModulus();
app.Run();
