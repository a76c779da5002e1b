using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>
/// Sends every request of the HTTP listener to the OpenAI-compatible API, ahead of the application's
/// own pipeline: the listener is the API's alone, so its requests never reach gRPC or the
/// application's endpoints, and those never answer on it. Requests are told apart by a mark their
/// connection got from the listener (not by port, which is only known once bound, and 0 picks one).
/// </summary>
internal sealed class OpenAiStartupFilter : IStartupFilter
{
    private static readonly object ListenerMark = new();

    /// <summary>Kestrel connection middleware for the HTTP listener: marks the connection as the API's.</summary>
    public static ConnectionDelegate MarkConnection(ConnectionDelegate next) => connection =>
    {
        connection.Items[ListenerMark] = ListenerMark;
        return next(connection);
    };

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.MapWhen(IsApiRequest, api => api.Run(context => context.RequestServices.GetRequiredService<OpenAiRouter>().HandleAsync(context)));
        next(app);
    };

    private static bool IsApiRequest(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(ListenerMark) == true;
}
