using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SisomCluster.Data.Access;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Api.Auth;
using SisomCluster.Server.Api.Items;
using SisomCluster.Server.Coordinator;
using SisomCluster.Server.Hosting;
using SisomCluster.Server.Models;
using SisomCluster.Server.Runs;
using SisomCluster.Server.Worker;
using Xunit;

namespace SisomCluster.Server.Tests.Hosting;

/// <summary>
/// What <c>--roles</c> registers, read from the host's service collection before it is built: nothing connects to
/// PostgreSQL or RabbitMQ, the bus is never started.
/// </summary>
public sealed class RoleRegistrationTests
{
    private static readonly Type[] CoordinatorServices = [typeof(RunLauncher), typeof(ShardPublisher), typeof(ContextReadyConsumer)];
    private static readonly Type[] CoordinatorHosted = [typeof(LeaseMonitor), typeof(PendingRunLauncher)];
    private static readonly Type[] WorkerServices = [typeof(WorkerRuntime), typeof(ScoreShardConsumer), typeof(ModelCache), typeof(ScoringWarmUp)];
    private static readonly Type[] AggregatorServices = [typeof(RunFinalizer), typeof(PrepareContextConsumer), typeof(RunProgressConsumer), typeof(ModelCache)];
    private static readonly Type[] AggregatorHosted = [typeof(RunSweeper)];
    private static readonly Type[] ApiServices = [typeof(RunCreator), typeof(ApiKeyStore), typeof(BootstrapKey), typeof(ThumbnailCache)];

    [Fact]
    public void A_worker_registers_the_worker_and_nothing_of_the_coordinator_aggregator_or_api()
    {
        IServiceCollection services = Services(ServerRoles.Worker);
        AssertRegistered(services, WorkerServices);
        AssertAbsent(services, [.. CoordinatorServices, .. CoordinatorHosted, typeof(RunFinalizer), typeof(PrepareContextConsumer), typeof(RunProgressConsumer), .. AggregatorHosted, .. ApiServices]);
        AssertValid(services);
    }

    [Fact]
    public void An_api_registers_run_creation_and_no_role_behind_the_bus()
    {
        IServiceCollection services = Services(ServerRoles.Api);
        AssertRegistered(services, ApiServices);
        AssertAbsent(services, [.. CoordinatorServices, .. CoordinatorHosted, .. WorkerServices, .. AggregatorServices, .. AggregatorHosted]);
        AssertValid(services);
    }

    [Fact]
    public void A_coordinator_and_aggregator_get_their_own_services_and_one_model_cache()
    {
        IServiceCollection services = Services(ServerRoles.Coordinator | ServerRoles.Aggregator);
        AssertRegistered(services, [.. CoordinatorServices, .. CoordinatorHosted, .. AggregatorServices, .. AggregatorHosted]);
        AssertAbsent(services, [typeof(WorkerRuntime), typeof(ScoreShardConsumer), typeof(ScoringWarmUp), .. ApiServices]);
        AssertValid(services);
    }

    [Fact]
    public void All_registers_every_role_and_shared_services_once()
    {
        IServiceCollection services = Services(ServerRoles.All);
        AssertRegistered(services, [.. CoordinatorServices, .. CoordinatorHosted, .. WorkerServices, .. AggregatorServices, .. AggregatorHosted, .. ApiServices]);
        Assert.Single(services, d => d.ServiceType == typeof(ModelCache));
        Assert.Single(services, d => d.ServiceType == typeof(RunCreator));
        AssertValid(services);
    }

    private static IServiceCollection Services(ServerRoles roles)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();

        // Never opened: the collection is only read.
        builder.Configuration["ConnectionStrings:Sisom"] = "Host=127.0.0.1;Port=1;Database=none;Username=none";
        builder.Configuration["ConnectionStrings:RabbitMq"] = "amqp://none:none@127.0.0.1:1/";
        builder.AddSisomServer(roles);
        return builder.Services;
    }

    /// <summary>A type counts as registered as a service or as a hosted service's implementation.</summary>
    private static bool IsRegistered(IServiceCollection services, Type type) =>
        services.Any(d => d.ServiceType == type || (d.ServiceType == typeof(IHostedService) && d.ImplementationType == type));

    private static void AssertRegistered(IServiceCollection services, Type[] types)
    {
        string[] missing = [.. types.Where(t => !IsRegistered(services, t)).Select(t => t.FullName!).Distinct()];
        Assert.True(missing.Length == 0, "Not registered: " + string.Join(", ", missing));
    }

    private static void AssertAbsent(IServiceCollection services, Type[] types)
    {
        string[] present = [.. types.Where(t => IsRegistered(services, t)).Select(t => t.FullName!).Distinct()];
        Assert.True(present.Length == 0, "Registered although the role is off: " + string.Join(", ", present));
    }

    /// <summary>Every registered service's dependencies are registered too (the container checks its call sites without creating anything).</summary>
    private static void AssertValid(IServiceCollection services)
    {
        using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
