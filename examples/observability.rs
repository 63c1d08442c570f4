//! One OTLP connection carries a service's traces, metrics and logs, with one resource.
//!
//! Runs with no collector of its own: it starts an in-process OTLP receiver (the official
//! protobuf, decoded), points the connection at it, records a span, a log event and metric points
//! through `tracing` and the meter, closes (which flushes), and prints what arrived.
//!
//! ```sh
//! cargo run --example observability
//! ```

#[path = "support/otlp_receiver.rs"]
mod otlp_receiver;

use connfx::opentelemetry::KeyValue;
use connfx::prelude::*;
use tracing_subscriber::layer::SubscriberExt;

/// Connections of the example service.
#[derive(Connections)]
#[connections(env_prefix = "SHOP")]
pub struct Conns {
    /// Telemetry collector; left unconfigured, it is simply absent.
    #[connection(protocol = "otlp", service_name = "shop", service_version = "1.4.2",
                 environment = "demo", resource("team" = "checkout"),
                 headers("x-api-key" = "demo-key"), timeout = "3s", batch_timeout = "200ms")]
    otel: Option<OtlpConnection>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let receiver = otlp_receiver::Receiver::http().await?;

    // The deployment would set SHOP_OTEL_URL; here it points at the receiver.
    let sources = Sources::new().env_map([("SHOP_OTEL_URL", receiver.url())]);
    let conns = Conns::load_config_from(sources)?.connect().await?;
    let otel = conns.otel().ok_or("SHOP_OTEL_URL names the collector")?;
    println!("connected: {otel:?}");

    // `tracing` goes out through the connection's layer: spans, events, metric fields.
    let subscriber = tracing_subscriber::registry().with(otel.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        tracing::info_span!("place_order", order = 42).in_scope(|| {
            tracing::info!(items = 3, "order placed");
            tracing::info!(monotonic_counter.orders_via_tracing = 1_u64, "order counted");
        });
    });
    // The meter directly.
    let orders = otel.meter("shop").u64_counter("orders_placed").build();
    orders.add(1, &[KeyValue::new("region", "eu")]);

    println!("{}", conns.health().await);
    conns.close().await; // flushes every signal; nothing is exported after it

    let got = receiver.received();
    println!("\nresource attributes:");
    for (key, value) in got.resource_attributes() {
        println!("  {key} = {value}");
    }
    println!("spans:   {:?}", got.span_names());
    println!("metrics: {:?}", dedup(got.metric_names()));
    println!("logs:    {:?}", got.log_bodies());
    let api_key_sent = got.headers.iter().any(|h| h.contains_key("x-api-key"));
    println!("x-api-key header sent with the exports: {api_key_sent}");
    receiver.stop().await;
    Ok(())
}

fn dedup(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}
