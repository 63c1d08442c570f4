//! Streaming answers (issue 16 item 4, seed 004's `DoStream`): a POST whose answer streams for
//! longer than the connection's total timeout, read as chunks, lines and Server-Sent Events,
//! bounded by the idle time between chunks; a body cut in the middle, and a server gone silent.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use connfx::{CallError, Connection as _};
use futures_util::{Stream, StreamExt};
use serde_json::json;
use tokio::time::timeout;

use super::connect;

/// Chunks of text, `gap` apart, then the end — or, with `cut`, an error that drops the
/// connection in the middle of the body.
fn paced(chunks: Vec<String>, gap: Duration, cut: bool) -> Body {
    let stream =
        futures_util::stream::unfold((chunks.into_iter(), cut), move |(mut chunks, cut)| async move {
            match chunks.next() {
                Some(chunk) => {
                    tokio::time::sleep(gap).await;
                    Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), (chunks, cut)))
                }
                None if cut => {
                    // Let the last chunk reach the wire before the connection drops.
                    tokio::time::sleep(gap * 4).await;
                    Some((Err(std::io::Error::other("cut")), (chunks, false)))
                }
                None => None,
            }
        });
    Body::from_stream(stream)
}

async fn server() -> String {
    let app = Router::new()
        // 40 lines over ~0.8 s, the first echoing the request body.
        .route(
            "/long",
            post(|body: String| async move {
                let mut lines = vec![format!("asked {body}\n")];
                lines.extend((1..40).map(|i| format!("line {i}\n")));
                paced(lines, Duration::from_millis(20), false)
            }),
        )
        .route(
            "/cut",
            post(|| async {
                paced(
                    vec!["one\n".into(), "two\n".into(), "thr".into()],
                    Duration::from_millis(5),
                    true,
                )
            }),
        )
        .route(
            "/silent",
            post(|| async {
                let first = futures_util::stream::once(async { Ok::<_, Infallible>(Bytes::from("hello\n")) });
                let never = futures_util::stream::pending();
                Body::from_stream(first.chain(never))
            }),
        )
        .route(
            "/chat",
            post(|body: String| async move {
                let events = vec![
                    format!("id: 1\ndata: you said {body}\n\n"),
                    "id: 2\nevent: token\ndata: Hel\n\n".into(),
                    "id: 3\nevent: token\ndata: lo\n\n".into(),
                ];
                (
                    [(CONTENT_TYPE, "text/event-stream")],
                    paced(events, Duration::from_millis(5), true),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Every item of `stream`, within 10 s.
async fn all<S: Stream + Unpin>(stream: S) -> Vec<S::Item> {
    timeout(Duration::from_secs(10), stream.collect())
        .await
        .expect("the stream ends in time")
}

#[tokio::test]
async fn a_long_answer_streams_past_the_total_timeout_bounded_by_its_idle_time() {
    let url = server().await;
    // A total timeout far shorter than the answer: it bounds getting the answer, not reading it.
    let api =
        connect(json!({ "url": url, "timeout": { "total": "300ms" }, "retry": { "max_attempts": 2 } })).await;
    let answer = api.post("/long").body("the question").send().await.unwrap();
    let lines = all(answer.chunks(Duration::from_secs(1)).lines()).await;
    let lines: Vec<String> = lines.into_iter().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 40);
    assert_eq!(lines[0], "asked the question");
    assert_eq!(lines[39], "line 39");

    // Raw chunks carry the same bytes.
    let answer = api.post("/long").body("again").send().await.unwrap();
    let chunks = all(answer.chunks(Duration::from_secs(1))).await;
    let bytes: Vec<u8> = chunks.into_iter().flat_map(|c| c.unwrap().to_vec()).collect();
    assert!(String::from_utf8(bytes).unwrap().ends_with("line 39\n"));

    // Read whole, the same answer is cut by the total timeout.
    let answer = api.post("/long").body("whole").send().await.unwrap();
    assert!(matches!(answer.text().await, Err(CallError::Timeout { .. })));
    api.close().await;
}

#[tokio::test]
async fn a_body_cut_in_the_middle_ends_the_stream_with_a_transport_error() {
    let url = server().await;
    let api = connect(json!({ "url": url })).await;
    let answer = api.post("/cut").send().await.unwrap();
    let lines = all(answer.chunks(Duration::from_secs(1)).lines()).await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0].as_deref().unwrap(), "one");
    assert_eq!(lines[1].as_deref().unwrap(), "two");
    // The half line before the cut is not a line: the error is the last item.
    match &lines[2] {
        Err(CallError::Transport { connection, message }) => {
            assert_eq!(connection, "api");
            assert!(message.contains("cut"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    api.close().await;
}

#[tokio::test]
async fn silence_longer_than_the_idle_time_ends_the_stream_with_a_timeout() {
    let url = server().await;
    let api = connect(json!({ "url": url })).await;
    let answer = api.post("/silent").send().await.unwrap();
    let started = std::time::Instant::now();
    let chunks = all(answer.chunks(Duration::from_millis(200))).await;
    assert_eq!(chunks.len(), 2, "{chunks:?}");
    assert_eq!(chunks[0].as_ref().unwrap().as_ref(), b"hello\n");
    assert!(
        matches!(&chunks[1], Err(CallError::Timeout { after, .. }) if *after == Duration::from_millis(200)),
        "{chunks:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    api.close().await;
}

#[cfg(feature = "sse")]
#[tokio::test]
async fn an_sse_answer_to_a_post_is_read_as_events_until_it_is_cut() {
    let url = server().await;
    let api = connect(json!({ "url": url })).await;
    let answer = api
        .post("/chat")
        .json(&json!({ "prompt": "hi" }))
        .send()
        .await
        .unwrap();
    let events = all(answer.chunks(Duration::from_secs(1)).events()).await;
    assert_eq!(events.len(), 4, "{events:?}");
    let first = events[0].as_ref().unwrap();
    assert_eq!(first.data, r#"you said {"prompt":"hi"}"#);
    assert_eq!(first.id.as_deref(), Some("1"));
    let tokens: String = events[1..3]
        .iter()
        .map(|e| e.as_ref().unwrap())
        .inspect(|e| assert_eq!(e.event, "token"))
        .map(|e| e.data.as_str())
        .collect();
    assert_eq!(tokens, "Hello");
    assert!(
        matches!(events[3], Err(CallError::Transport { .. })),
        "{events:?}"
    );
    api.close().await;
}
