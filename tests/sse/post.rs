//! A subscription opened with a method and a body (issue 16 item 4: an LLM API streaming its
//! answer to a `POST`): every open, the first and each reopen after the server cuts the stream,
//! sends the same method and body with `Last-Event-ID`, and each event arrives once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::routing::any;
use connfx::{Connection as _, SseRequest};

use super::{connect, fast_retry, take};

/// What each open brought: method, content type, body, `Last-Event-ID`.
type Opens = Arc<Mutex<Vec<(String, String, String, Option<String>)>>>;

/// Five events in all, two per open, then the stream is cut.
async fn answer(
    State(opens): State<Opens>,
    method: axum::http::Method,
    headers: HeaderMap,
    body: String,
) -> impl axum::response::IntoResponse {
    let last: Option<String> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    opens
        .lock()
        .unwrap()
        .push((method.to_string(), content_type, body, last.clone()));
    let from = last.and_then(|id| id.parse::<u32>().ok()).unwrap_or(0) + 1;
    let events: Vec<String> = (from..=5)
        .take(2)
        .map(|i| format!("id: {i}\ndata: token {i}\n\n"))
        .collect();
    let stream = futures_util::stream::unfold(events.into_iter(), |mut events| async move {
        match events.next() {
            Some(event) => Some((Ok::<_, std::io::Error>(Bytes::from(event)), events)),
            None => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Some((Err(std::io::Error::other("cut")), events))
            }
        }
    });
    ([(CONTENT_TYPE, "text/event-stream")], Body::from_stream(stream))
}

#[tokio::test]
async fn a_post_subscription_reopens_with_its_body_and_delivers_each_event_once() {
    let opens = Opens::default();
    let app = Router::new()
        .route("/chat", any(answer))
        .with_state(opens.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let chat = connect(&format!("http://{addr}/chat"), fast_retry()).await;
    let ask = SseRequest::post()
        .json(&serde_json::json!({ "prompt": "hi" }))
        .unwrap();
    let mut stream = chat.events_with(ask);
    let events = take(&mut stream, 5).await;
    let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
    assert_eq!(data, ["token 1", "token 2", "token 3", "token 4", "token 5"]);

    let opens = opens.lock().unwrap().clone();
    assert!(opens.len() >= 3, "{opens:?}");
    for (method, content_type, body, _) in &opens {
        assert_eq!(method, "POST");
        assert_eq!(content_type, "application/json");
        assert_eq!(body, r#"{"prompt":"hi"}"#);
    }
    let resumed: Vec<Option<&str>> = opens.iter().take(3).map(|o| o.3.as_deref()).collect();
    assert_eq!(resumed, [None, Some("2"), Some("4")]);
    chat.close().await;
}
