//! Against a WebSocket server no one here wrote: Python's `websockets` (from PyPI; `.ci/run`
//! installs it and sets `CONNFX_TEST_PYTHON`), closing the connection with 1001 after every
//! third message, as a rolling redeploy does. Sends must neither fail nor be written to a socket
//! the server is closing: each waits for the next socket instead.

use std::process::Stdio;
use std::time::Duration;

use connfx::prelude::*;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::time::timeout;

use crate::services;

struct Redeploying {
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    url: String,
}

/// The Python server, started; `None` after saying `test` was skipped.
async fn redeploying(test: &str) -> Option<Redeploying> {
    let python = std::env::var("CONNFX_TEST_PYTHON").ok().filter(|p| !p.is_empty());
    let Some(python) = python else {
        services::skipped(
            test,
            "CONNFX_TEST_PYTHON is not set (a Python with `websockets`; `bash .ci/run` sets it)",
        );
        return None;
    };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/websocket/fixtures/redeploying_server.py"
    );
    let mut child = Command::new(python)
        .arg(script)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("the server listens in time");
    let port = first.unwrap().unwrap().strip_prefix("PORT ").unwrap().to_owned();
    Some(Redeploying {
        _child: child,
        lines,
        url: format!("ws://127.0.0.1:{port}/"),
    })
}

async fn feed(url: &str) -> WebSocketConnection {
    let config: WebSocketConfig = serde_json::from_value(serde_json::json!({ "url": url })).unwrap();
    WebSocketConnection::connect("redeploys", config).await.unwrap()
}

/// What the server received, until `count` messages or `wait`.
async fn arrived(server: &mut Redeploying, count: usize, wait: Duration) -> Vec<String> {
    let mut seen = Vec::new();
    let _ = timeout(wait, async {
        while seen.len() < count {
            match server.lines.next_line().await {
                Ok(Some(line)) => seen.push(line),
                _ => return,
            }
        }
    })
    .await;
    seen
}

#[tokio::test]
async fn sends_back_to_back_across_the_servers_closes_never_fail() {
    let test = "sends_back_to_back_across_the_servers_closes_never_fail";
    let Some(mut server) = redeploying(test).await else {
        return;
    };
    let feed = feed(&server.url).await;
    for i in 0..30 {
        // A send waits for the reconnect (no `timeout.total`); on a machine whose two cores are
        // busy, one handshake with the Python server has taken more than 10 s.
        let sent = timeout(Duration::from_secs(30), feed.send_text(format!("m{i}"))).await;
        assert!(matches!(sent, Ok(Ok(()))), "send {i}: {sent:?}");
    }
    // Back to back, a message may still be written before the server's close frame is read,
    // and a server that has sent its close discards it: WebSocket itself cannot tell (see the
    // module docs). What did arrive came once each, in order.
    let seen = arrived(&mut server, 30, Duration::from_secs(2)).await;
    eprintln!("back to back: {} of 30 arrived: {seen:?}", seen.len());
    let mut sorted = seen.clone();
    sorted.sort_by_key(|m| m[1..].parse::<u32>().unwrap());
    sorted.dedup();
    assert_eq!(seen, sorted, "in order, none twice");
    feed.close().await;
}

#[tokio::test]
async fn paced_sends_all_arrive_across_the_servers_closes() {
    let test = "paced_sends_all_arrive_across_the_servers_closes";
    let Some(mut server) = redeploying(test).await else {
        return;
    };
    let feed = feed(&server.url).await;
    for i in 0..30 {
        // A send waits for the reconnect (no `timeout.total`); on a machine whose two cores are
        // busy, one handshake with the Python server has taken more than 10 s.
        let sent = timeout(Duration::from_secs(30), feed.send_text(format!("m{i}"))).await;
        assert!(matches!(sent, Ok(Ok(()))), "send {i}: {sent:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expected: Vec<String> = (0..30).map(|i| format!("m{i}")).collect();
    assert_eq!(
        arrived(&mut server, 30, Duration::from_secs(10)).await,
        expected,
        "every send that resolved Ok arrived"
    );
    feed.close().await;
}
