//! The semantic conventions' metrics (semconv 1.42.0), read back from the receiver: names,
//! units, instrument kinds and attributes of `http.client.*` and `db.client.*`.

use std::collections::BTreeMap;
use std::time::Duration;

use connfx::Sources;
use connfx::prelude::*;

use crate::otlp_receiver::{Received, Receiver};
use crate::telemetry::{collector_env, flush_metrics, latest, upstream, with};

/// An HTTP API tried twice, and the collector.
#[derive(Connections)]
#[connections(env_prefix = "SEMH")]
struct Api {
    #[connection(protocol = "http", retry(max_attempts = 2, initial_interval = "1ms"))]
    api: HttpConnection,
    #[connection(protocol = "otlp", service_name = "semconv-test")]
    otel: OtlpConnection,
}

/// `name`'s unit and kind, or a failure that lists what did arrive.
fn shape(got: &Received, name: &str) -> (String, &'static str) {
    got.shape(name)
        .unwrap_or_else(|| panic!("no {name} among {:?}", got.metric_names()))
}

#[tokio::test]
async fn http_requests_have_the_http_client_metrics() {
    let receiver = Receiver::http().await.unwrap();
    let upstream = upstream().await;
    let mut env = collector_env("SEMH", &receiver);
    env.push(("SEMH_API_URL".into(), upstream.url.clone()));
    let conns = Api::load_config_from(Sources::new().env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let api = conns.api();
    api.get("/ok").send().await.unwrap();
    // Two requests, each answered 503.
    assert_eq!(
        api.get("/down").send().await.unwrap_err().kind(),
        "retries_exhausted"
    );
    // One request in flight while the metrics are exported.
    let slow = tokio::spawn({
        let api = api.clone();
        async move { api.post("/slow").send().await.map(drop) }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    flush_metrics(conns.otel()).await;
    slow.await.unwrap().unwrap();
    conns.close().await;
    let got = receiver.received();

    let port = upstream.url.rsplit(':').next().unwrap();
    let server = [
        ("server.address", "127.0.0.1"),
        ("server.port", port),
        ("url.scheme", "http"),
    ];
    let get = |more: &[(&'static str, &'static str)]| {
        let mut pairs = vec![("http.request.method", "GET")];
        pairs.extend_from_slice(&server);
        pairs.extend_from_slice(more);
        pairs
    };

    assert_eq!(
        shape(&got, "http.client.request.duration"),
        ("s".into(), "histogram")
    );
    let durations = got.points("http.client.request.duration");
    let ok = get(&[("http.response.status_code", "200")]);
    assert_eq!(latest(&durations, with(&ok)), 1.0, "{durations:?}");
    assert!(
        durations
            .iter()
            .filter(|(a, _)| with(&ok)(a))
            .all(|(a, _)| !a.contains_key("error.type") && !a.contains_key("connfx.connection")),
        "a success has no error.type, and only the conventions' attributes: {durations:?}"
    );
    let failed = get(&[("http.response.status_code", "503"), ("error.type", "503")]);
    assert_eq!(
        latest(&durations, with(&failed)),
        2.0,
        "each try is a request: {durations:?}"
    );

    assert_eq!(
        shape(&got, "http.client.active_requests"),
        ("{request}".into(), "updowncounter")
    );
    let active = got.points("http.client.active_requests");
    let mut post = vec![("http.request.method", "POST")];
    post.extend_from_slice(&server);
    let in_flight = active.iter().filter(|(a, _)| with(&post)(a)).map(|(_, v)| *v);
    assert_eq!(
        in_flight.collect::<Vec<_>>().first(),
        Some(&1.0),
        "the slow POST in flight at the flush: {active:?}"
    );
    assert!(
        active.iter().any(|(a, v)| with(&get(&[]))(a) && *v == 0.0),
        "no GET in flight: {active:?}"
    );
    // The library's own metrics are still there, with the connection's name.
    let requests = got.points("connfx.client.requests");
    assert_eq!(latest(&requests, with(&[("connfx.connection", "api")])), 1.0);
}

/// A GraphQL endpoint and the collector.
#[derive(Connections)]
#[connections(env_prefix = "SEMG")]
struct Graph {
    #[connection(protocol = "graphql")]
    graph: GraphqlConnection,
    #[connection(protocol = "otlp", service_name = "semconv-test")]
    otel: OtlpConnection,
}

#[tokio::test]
async fn graphql_operations_are_http_requests_in_the_metrics() {
    let receiver = Receiver::http().await.unwrap();
    let app = axum::Router::new()
        .fallback(|| async { axum::Json(serde_json::json!({ "data": { "answer": 42 } })) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut env = collector_env("SEMG", &receiver);
    env.push(("SEMG_GRAPH_URL".into(), format!("http://{address}/graphql")));
    let conns = Graph::load_config_from(Sources::new().env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let data: serde_json::Value = conns.graph().query("{ answer }", ()).await.unwrap();
    assert_eq!(data["answer"], 42);
    conns.close().await;
    let got = receiver.received();

    let port = address.port().to_string();
    let pairs = [
        ("http.request.method", "POST"),
        ("server.address", "127.0.0.1"),
        ("server.port", port.as_str()),
        ("url.scheme", "http"),
        ("http.response.status_code", "200"),
    ];
    let durations = got.points("http.client.request.duration");
    assert_eq!(latest(&durations, with(&pairs)), 1.0, "{durations:?}");
}

/// A SQLite database and the collector.
#[derive(Connections)]
#[connections(env_prefix = "SEMD")]
struct Db {
    #[connection(protocol = "sql", url = "sqlite::memory:")]
    db: SqlConnection,
    #[connection(protocol = "otlp", service_name = "semconv-test")]
    otel: OtlpConnection,
}

#[tokio::test]
async fn sql_calls_have_the_db_client_metrics() {
    let receiver = Receiver::http().await.unwrap();
    let conns = Db::load_config_from(Sources::new().env_map(collector_env("SEMD", &receiver)))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let db = conns.db();
    let one: i64 = db
        .run(|pool: connfx::sqlx::SqlitePool| async move {
            connfx::sqlx::query_scalar("SELECT 1").fetch_one(&pool).await
        })
        .await
        .unwrap();
    assert_eq!(one, 1);
    let err = db
        .run(|pool: connfx::sqlx::SqlitePool| async move {
            connfx::sqlx::query("SELECT * FROM missing").execute(&pool).await
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "query");
    // Exported while the pool is open.
    flush_metrics(conns.otel()).await;
    conns.close().await;
    let got = receiver.received();

    assert_eq!(
        shape(&got, "db.client.operation.duration"),
        ("s".into(), "histogram")
    );
    let durations = got.points("db.client.operation.duration");
    let sqlite = |a: &BTreeMap<String, String>| {
        a.get("db.system.name").map(String::as_str) == Some("sqlite")
            && !a.contains_key("server.address")
            && !a.contains_key("db.operation.name")
    };
    let ok = |a: &BTreeMap<String, String>| sqlite(a) && !a.contains_key("error.type");
    assert_eq!(latest(&durations, ok), 1.0, "{durations:?}");
    let failed = |a: &BTreeMap<String, String>| sqlite(a) && with(&[("error.type", "query")])(a);
    assert_eq!(latest(&durations, failed), 1.0, "{durations:?}");

    assert_db_connections(&got, "db");
}

/// `db.client.connection.count` of pool `pool`: both states reported, and the pool's
/// connection counted at the flush (the first export; the one at `close` finds the pool
/// closed). Idle or used: sqlx hands a connection back to its pool in a task of its own, so
/// just after a call it may still count as used.
fn assert_db_connections(got: &Received, pool: &str) {
    assert_eq!(
        shape(got, "db.client.connection.count"),
        ("{connection}".into(), "updowncounter")
    );
    let counts = got.points("db.client.connection.count");
    let first = |state: &str| {
        let pairs = [
            ("db.client.connection.pool.name", pool),
            ("db.client.connection.state", state),
        ];
        let this = with(&pairs);
        counts.iter().find(|(a, _)| this(a)).map(|(_, v)| *v)
    };
    let (idle, used) = (first("idle"), first("used"));
    assert!(idle.is_some() && used.is_some(), "{counts:?}");
    assert!(idle.unwrap_or(0.0) + used.unwrap_or(0.0) >= 1.0, "{counts:?}");
}

/// A PostgreSQL database and the collector.
#[derive(Connections)]
#[connections(env_prefix = "SEMP")]
struct Pg {
    #[connection(protocol = "sql")]
    pg: SqlConnection,
    #[connection(protocol = "otlp", service_name = "semconv-test")]
    otel: OtlpConnection,
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_calls_name_the_system_and_the_server() {
    let Some(url) = crate::services::postgres("otlp::semconv::postgres_calls_name_the_system_and_the_server")
    else {
        return;
    };
    let receiver = Receiver::http().await.unwrap();
    let mut env = collector_env("SEMP", &receiver);
    env.push(("SEMP_PG_URL".into(), url.clone()));
    let conns = Pg::load_config_from(Sources::new().env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let one: i32 = conns
        .pg()
        .run(|pool: connfx::sqlx::PgPool| async move {
            connfx::sqlx::query_scalar("SELECT 1").fetch_one(&pool).await
        })
        .await
        .unwrap();
    assert_eq!(one, 1);
    flush_metrics(conns.otel()).await;
    conns.close().await;
    let got = receiver.received();

    let url = url::Url::parse(&url).unwrap();
    let port = url.port().unwrap_or(5432).to_string();
    let durations = got.points("db.client.operation.duration");
    let pairs = [
        ("db.system.name", "postgresql"),
        ("server.address", url.host_str().unwrap()),
        ("server.port", &port),
    ];
    let postgres = with(&pairs);
    assert_eq!(latest(&durations, postgres), 1.0, "{durations:?}");
    assert_db_connections(&got, "pg");
}
