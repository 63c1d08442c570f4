//! Subscriptions against the reference `graphql-transport-ws` server no one here wrote: the
//! `graphql-ws` npm package on `ws`, with graphql-js (`fixtures/graphql_ws_server.cjs`; `.ci/run`
//! installs them and sets `CONNFX_TEST_NODE_MODULES`). It refuses a socket without the
//! subprotocol, and here it drops every socket mid-stream.

use std::process::Stdio;
use std::time::Duration;

use connfx::protocol::graphql::{GraphqlSubscriptions, Subscription};
use connfx::{CallError, Connection, WebSocketConfig, WebSocketConnection};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::time::timeout;

use crate::services;

const LIMIT: Duration = Duration::from_secs(10);

struct Reference {
    _child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    url: String,
}

impl Reference {
    /// The server, started; `None` after saying `test` was skipped.
    async fn start(test: &str) -> Option<Reference> {
        let modules = std::env::var("CONNFX_TEST_NODE_MODULES")
            .ok()
            .filter(|p| !p.is_empty());
        let Some(modules) = modules else {
            services::skipped(
                test,
                "CONNFX_TEST_NODE_MODULES is not set (node_modules with graphql, graphql-ws and ws; `bash .ci/run` sets it)",
            );
            return None;
        };
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/graphql/fixtures/graphql_ws_server.cjs"
        );
        let mut child = Command::new("node")
            .arg(script)
            .env("NODE_PATH", modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = timeout(LIMIT, lines.next_line())
            .await
            .expect("the server listens in time");
        let port = first.unwrap().unwrap().strip_prefix("PORT ").unwrap().to_owned();
        Some(Reference {
            _child: child,
            stdin,
            lines,
            url: format!("ws://127.0.0.1:{port}/graphql"),
        })
    }

    /// The server's lines until one equal to `last`, within [`LIMIT`].
    async fn until(&mut self, last: &str) -> Vec<String> {
        let mut seen = Vec::new();
        let found = timeout(LIMIT, async {
            while let Ok(Some(line)) = self.lines.next_line().await {
                seen.push(line.clone());
                if line == last {
                    return;
                }
            }
        })
        .await;
        assert!(found.is_ok(), "`{last}` in time; saw {seen:?}");
        seen
    }

    async fn drop_sockets(&mut self) {
        self.stdin.write_all(b"drop\n").await.unwrap();
        self.stdin.flush().await.unwrap();
    }
}

#[derive(Debug, Deserialize)]
struct Counted {
    counter: u64,
}

async fn next(live: &mut Subscription<Counted>) -> u64 {
    let item = timeout(LIMIT, live.next()).await.expect("an item in time");
    item.expect("an item").expect("a result").counter
}

async fn client(url: &str, protocol: Option<&str>) -> GraphqlSubscriptions {
    let headers = match protocol {
        Some(protocol) => json!({ "Sec-WebSocket-Protocol": protocol }),
        None => json!({}),
    };
    let config: WebSocketConfig = serde_json::from_value(json!({
        "url": url,
        "headers": headers,
        "retry": { "max_attempts": 20, "initial_interval": "20ms", "max_interval": "100ms" },
    }))
    .unwrap();
    let ws = WebSocketConnection::connect("reference", config).await.unwrap();
    GraphqlSubscriptions::with_init_payload(ws, json!({ "token": "t0ken" }))
}

#[tokio::test]
async fn the_reference_server_streams_completes_refuses_and_resumes() {
    let test = "the_reference_server_streams_completes_refuses_and_resumes";
    let Some(mut server) = Reference::start(test).await else {
        return;
    };
    let subs = client(&server.url, Some("graphql-transport-ws")).await;

    // Typed items in order, ended by the server's `complete`.
    let counted = subs
        .subscribe::<Counted>("subscription($to: Int) { counter(to: $to) }", json!({ "to": 3 }))
        .await
        .unwrap();
    let seen = timeout(LIMIT, counted.map(|c| c.unwrap().counter).collect::<Vec<_>>())
        .await
        .expect("the stream ends in time");
    assert_eq!(seen, [1, 2, 3]);
    server.until("COMPLETE 1").await;

    // An `error` message (the subscribe resolver throws) is an error item, then the end.
    let mut boom = subs
        .subscribe::<Counted>("subscription { boom }", ())
        .await
        .unwrap();
    let item = timeout(LIMIT, boom.next()).await.expect("an item in time");
    assert!(
        matches!(&item, Some(Err(CallError::Graphql { errors, .. })) if errors[0].message == "boom is not allowed"),
        "{item:?}"
    );
    assert!(
        timeout(LIMIT, boom.next())
            .await
            .expect("the end in time")
            .is_none()
    );

    // A live subscription resumes on a new socket after the server drops them all.
    let mut live = subs
        .subscribe::<Counted>("subscription { counter }", ())
        .await
        .unwrap();
    let id = live.id().to_owned();
    server.until(&format!("SUBSCRIBE {id}")).await;
    assert_eq!(next(&mut live).await, 1);
    server.drop_sockets().await;
    let after = server.until(&format!("SUBSCRIBE {id}")).await;
    assert!(
        after.contains(&r#"INIT {"token":"t0ken"}"#.to_owned()),
        "{after:?}"
    );
    let resumed = timeout(LIMIT, async {
        loop {
            if next(&mut live).await == 1 {
                return;
            }
        }
    })
    .await;
    assert!(resumed.is_ok(), "items after the reconnect");

    // Dropping it sends `complete`.
    drop(live);
    server.until(&format!("COMPLETE {id}")).await;
    subs.connection().close().await;

    // Without the subprotocol the server closes the socket (4406) before any `connection_ack`.
    let refused = client(&server.url, None).await;
    let mut never = refused
        .subscribe::<Counted>("subscription { counter }", ())
        .await
        .unwrap();
    assert!(
        timeout(Duration::from_millis(500), never.next()).await.is_err(),
        "no item without the subprotocol"
    );
    refused.connection().close().await;
}
