using System.ComponentModel.DataAnnotations;

namespace SisomCluster.Server.Messaging;

/// <summary>
/// How the coordinator and api processes watch the broker's parking queues (<c>Messaging__ManagementUrl</c>,
/// <c>Messaging__ParkedCheckSeconds</c>): <see cref="ParkedMessageWatch"/>.
/// </summary>
public sealed class MessagingOptions : IValidatableObject
{
    public const string SectionName = "Messaging";

    /// <summary>
    /// The RabbitMQ management API (<c>http://rabbitmq:15672/</c>; credentials in the URL, else those of
    /// <c>ConnectionStrings__RabbitMq</c>). Optional: without it each queue is declared passively over AMQP, which
    /// gives the same count (ready messages) without the management plugin.
    /// </summary>
    public string? ManagementUrl { get; set; }

    /// <summary>How often the <c>_error</c> and <c>_skipped</c> queues are counted.</summary>
    [Range(1, 3600)]
    public int ParkedCheckSeconds { get; set; } = 30;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(ManagementUrl)
            && (!Uri.TryCreate(ManagementUrl, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult($"Messaging:ManagementUrl '{ManagementUrl}' is not an http(s) URL (e.g. http://rabbitmq:15672/).", [nameof(ManagementUrl)]);
        }
    }
}
