//! The one resource every signal of a connection carries.

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;

use super::OtlpConfig;

/// The resource attribute `service_version` sets.
pub const SERVICE_VERSION: &str = "service.version";
/// The resource attribute `environment` sets (the current semantic-conventions name; the older
/// `deployment.environment` is deprecated).
pub const DEPLOYMENT_ENVIRONMENT: &str = "deployment.environment.name";

/// The SDK's detected attributes (`telemetry.sdk.*`, `OTEL_SERVICE_NAME`,
/// `OTEL_RESOURCE_ATTRIBUTES`), then `service_name`, `service_version`, `environment`, then the
/// `resource` map: later ones win.
pub(super) fn build(config: &OtlpConfig) -> Resource {
    let mut builder = Resource::builder();
    if let Some(name) = &config.service_name {
        builder = builder.with_service_name(name.clone());
    }
    let named = [
        (SERVICE_VERSION, &config.service_version),
        (DEPLOYMENT_ENVIRONMENT, &config.environment),
    ];
    for (key, value) in named {
        if let Some(value) = value {
            builder = builder.with_attribute(KeyValue::new(key, value.clone()));
        }
    }
    let extra = config
        .resource
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()));
    builder.with_attributes(extra).build()
}
