//! Every generated item of `#[derive(Connections)]`, against real connections: an HTTP upstream
//! on 127.0.0.1, SQLite, and a user's own adapter.

mod echo;
mod owns;
mod settings;

use axum::Router;
use axum::routing::get;
use connfx::prelude::*;
use connfx::{HealthState, Sources};
use echo::EchoConnection;

/// Connections of the derive test.
#[derive(Connections)]
#[connections(env_prefix = "DERIVE")]
pub struct Conns {
    /// The upstream API.
    #[connection(protocol = "http", url = "http://127.0.0.1:9/api", timeout = "5s")]
    api: HttpConnection,
    /// SQLite.
    #[connection(url = "sqlite::memory:")]
    db: SqlConnection,
    /// An optional second API.
    #[connection(protocol = "http")]
    spare: Option<HttpConnection>,
    /// A user's own adapter: protocol and keys come from its `Connection` impl.
    #[connection(greeting = "hello from echo")]
    echo: EchoConnection,
}

async fn upstream() -> String {
    let app = Router::new()
        .route("/api", get(|| async { "ok" }))
        .route("/api/items/1", get(|| async { "item one" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/api")
}

async fn connect() -> Conns {
    let url = upstream().await;
    let config = Conns::load_config_from(Sources::new().env_map([("DERIVE_API_URL", url)])).unwrap();
    config.connect().await.unwrap()
}

#[tokio::test]
async fn connect_gives_typed_accessors_to_live_connections() {
    let conns = connect().await;
    let body = conns
        .api()
        .get("/items/1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "item one");
    let (one,): (i32,) = connfx::sqlx::query_as("SELECT 1")
        .fetch_one(&conns.db().sqlite().unwrap())
        .await
        .unwrap();
    assert_eq!(one, 1);
    assert!(conns.spare().is_none());
    assert_eq!(conns.echo().greeting(), "hello from echo");
}

#[tokio::test]
async fn registry_shares_the_same_live_connections() {
    let conns = connect().await;
    let registry = conns.registry();
    assert_eq!(registry.names(), ["api", "db", "echo"]);
    let api: HttpConnection = registry.get("api").unwrap();
    assert_eq!(
        api.get("/items/1").send().await.unwrap().text().await.unwrap(),
        "item one"
    );
    assert!(
        registry.get::<SqlConnection>("api").is_err(),
        "wrong type is an error"
    );
    assert!(registry.get::<HttpConnection>("nope").is_err());
}

#[tokio::test]
async fn health_checks_every_connection_and_close_closes_them() {
    let conns = connect().await;
    let report = conns.health().await;
    assert_eq!(report.entries.len(), 3);
    assert_eq!(report.worst(), HealthState::Ready, "{report}");
    let table = report.to_string();
    assert!(
        table.starts_with("CONNECTION") && table.contains("api") && table.contains("sql"),
        "{table}"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["entries"][0]["state"], "ready");

    conns.close().await;
    assert!(conns.api().get("/items/1").send().await.is_err());
    assert_eq!(
        conns.health().await.get("db").unwrap().health.state,
        HealthState::Unknown
    );
}

#[tokio::test]
async fn connect_reads_the_process_environment() {
    // `DERIVE_API_URL` is not set in the process: the default URL applies and all loads; the
    // generated `connect()` then connects lazily-checked HTTP and SQLite.
    let conns = Conns::connect().await.unwrap();
    assert_eq!(conns.api().base_url().to_string(), "http://127.0.0.1:9/api");
}

#[test]
fn schema_and_env_vars_cover_user_adapters() {
    let schema = Conns::json_schema();
    assert_eq!(
        schema["properties"]["echo"]["properties"]["greeting"]["default"],
        "hello from echo"
    );
    assert!(Conns::env_vars().iter().any(|v| v.name == "DERIVE_ECHO_GREETING"));
}

#[test]
fn user_adapter_keys_are_checked_at_boot() {
    let err = Conns::load_config_from(Sources::new().env_map([("DERIVE_ECHO_GREETNG", "x")])).unwrap_err();
    assert!(
        err.to_string().contains("did you mean `DERIVE_ECHO_GREETING`?"),
        "{err}"
    );
}
