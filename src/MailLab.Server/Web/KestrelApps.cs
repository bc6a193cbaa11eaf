using MailLab.Server.Listeners;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MailLab.Server.Web;

/// <summary>What the lab's Kestrel apps (the web service, the dashboard) share: start-up, the bound addresses and stopping.</summary>
internal static class KestrelApps
{
    /// <summary>An empty app builder whose host listens to no signal: the lab's host owns Ctrl-C and SIGTERM.</summary>
    public static WebApplicationBuilder Builder(string? contentRoot = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = contentRoot });
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        return builder;
    }

    /// <summary>Starts the app and returns the addresses it bound; a port it cannot bind is a <see cref="ListenerBindException"/>.</summary>
    public static IReadOnlyList<Uri> Start(WebApplication app, ListenerInfo info)
    {
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (IOException ex)
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new ListenerBindException(info.Site, info.Role, $"{info.Address}:{info.Port}", (ex.InnerException ?? ex).Message);
        }
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
    }

    /// <summary>Stops accepting; open requests get two seconds to finish.</summary>
    public static async Task StopAsync(WebApplication? app)
    {
        if (app is null) return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await app.StopAsync(cts.Token);
    }

    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
