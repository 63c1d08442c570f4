//! The GraphQL connection as a field of `#[derive(Connections)]` and as a dynamic registry target.

use connfx::prelude::*;
use connfx::registry::RegistryConfig;
use serde_json::{Value, json};

use super::server::Server;

/// Connections of the wiring test.
#[derive(Connections)]
#[connections(env_prefix = "GQL")]
pub struct Conns {
    /// The catalog's GraphQL API.
    #[connection(
        protocol = "graphql",
        url = "http://127.0.0.1:9/graphql",
        timeout = "5s",
        retry(max_attempts = 3, initial_interval = "1ms", max_interval = "5ms")
    )]
    catalog: GraphqlConnection,
    /// A second GraphQL API, type alone naming the protocol; absent unless configured.
    #[connection(headers("x-client" = "wiring"))]
    search: Option<GraphqlConnection>,
}

async fn typename_server() -> Server {
    Server::start(|n, body| match (n, body["query"].as_str()) {
        (1, _) => (503, json!({})),
        (_, Some("{__typename}")) => (200, json!({ "data": { "__typename": "Query" } })),
        _ => (200, json!({ "data": { "products": [{ "sku": "p1" }] } })),
    })
    .await
}

#[tokio::test]
async fn the_derive_builds_a_graphql_connection_with_its_policies() {
    let server = typename_server().await;
    let config = Conns::load_config_from(Sources::new().env_map([
        ("GQL_CATALOG_URL", server.url.as_str()),
        ("GQL_SEARCH_URL", server.url.as_str()),
    ]))
    .unwrap();
    assert_eq!(config.catalog.retry.as_ref().unwrap().max_attempts, 3);
    let conns = config.connect().await.unwrap();

    // The first answer is a 503: the attribute's retry policy tries again.
    let data: Value = conns.catalog().query("{ products { sku } }", ()).await.unwrap();
    assert_eq!(data["products"][0]["sku"], "p1");
    assert_eq!(server.count(), 2);

    let search = conns.search().expect("configured by env");
    let _: Value = search.query("{ products { sku } }", ()).await.unwrap();
    assert_eq!(server.seen()[2].headers["x-client"], "wiring");

    let registry = conns.registry();
    let catalog: GraphqlConnection = registry.get("catalog").unwrap();
    assert_eq!(catalog.name(), "catalog");
    let report = conns.health().await;
    assert_eq!(report.worst(), HealthState::Ready, "{report}");
    conns.close().await;
    assert!(conns.catalog().is_closed());
}

#[test]
fn the_derive_lists_graphql_keys_and_checks_them_at_boot() {
    let names: Vec<String> = Conns::env_vars().into_iter().map(|v| v.name).collect();
    for name in [
        "GQL_CATALOG_URL",
        "GQL_CATALOG_RETRY_MAX_ATTEMPTS",
        "GQL_SEARCH_AUTH_BEARER",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
    let schema = Conns::json_schema();
    assert_eq!(
        schema["properties"]["catalog"]["properties"]["url"]["default"],
        "http://127.0.0.1:9/graphql"
    );

    let err = Conns::load_config_from(Sources::new().env_map([
        ("GQL_CATALOG_URL", "ftp://127.0.0.1/graphql"),
        ("GQL_CATALOG_RETRY_MAX_ATEMPTS", "2"),
    ]))
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.issues().len(), 2, "{text}");
    assert!(text.contains("graphql"), "{text}");
    assert!(
        text.contains("did you mean `GQL_CATALOG_RETRY_MAX_ATTEMPTS`?"),
        "{text}"
    );
}

#[tokio::test]
async fn the_registry_builds_graphql_targets_from_the_environment() {
    let server = typename_server().await;
    let config = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_CATALOG_PROTOCOL", "graphql"),
        ("CONN_TARGETS_CATALOG_URL", server.url.as_str()),
        ("CONN_TARGETS_CATALOG_TIMEOUT", "2s"),
        ("CONN_TARGETS_CATALOG_PROPERTIES_RETRY_MAX_ATTEMPTS", "2"),
        ("CONN_TARGETS_CATALOG_PROPERTIES_RETRY_INITIAL_INTERVAL", "1ms"),
    ]))
    .unwrap();
    let registry = config.connect().await.unwrap();
    let catalog: GraphqlConnection = registry.get("catalog").unwrap();
    assert_eq!(catalog.config().retry.as_ref().unwrap().max_attempts, 2);
    assert_eq!(catalog.config().timeout.total, std::time::Duration::from_secs(2));
    let data: Value = catalog.query("{ products { sku } }", ()).await.unwrap();
    assert_eq!(data["products"][0]["sku"], "p1");
    assert_eq!(server.count(), 2, "the 503 was retried");
    assert!(
        registry.get::<HttpConnection>("catalog").is_err(),
        "not an HTTP connection"
    );
    assert_eq!(registry.health().await.worst(), HealthState::Ready);
    registry.close().await;
}

#[test]
fn registry_targets_are_checked_against_the_graphql_keys() {
    let err = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_CATALOG_PROTOCOL", "graphql"),
        ("CONN_TARGETS_CATALOG_URL", "http://127.0.0.1:1/graphql"),
        ("CONN_TARGETS_CATALOG_PROPERTIES_RETRY_MAX_ATEMPTS", "2"),
    ]))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("did you mean `CONN_TARGETS_CATALOG_PROPERTIES_RETRY_MAX_ATTEMPTS`?"),
        "{err}"
    );
}
