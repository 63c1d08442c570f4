//! What reaches the server: joined paths, methods, default headers and auth, bodies, queries.

use axum::http::Method;
use serde_json::json;

use crate::{connect, echoed, server};

#[tokio::test]
async fn a_path_is_joined_below_the_base_path() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    assert_eq!(echoed(&api, "/items/1").await["path"], "/api/items/1");
}

#[tokio::test]
async fn a_path_without_a_leading_slash_is_joined_the_same() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    assert_eq!(echoed(&api, "items/1").await["path"], "/api/items/1");
}

#[tokio::test]
async fn a_base_with_a_trailing_slash_gives_no_double_slash() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api/") })).await;
    assert_eq!(echoed(&api, "/x").await["path"], "/api/x");
}

#[tokio::test]
async fn an_empty_path_is_the_base_url_itself() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    assert_eq!(echoed(&api, "").await["path"], "/api");
}

#[tokio::test]
async fn a_query_in_the_path_is_kept() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let seen = echoed(&api, "/x?a=1").await;
    assert_eq!(
        (seen["path"].as_str(), seen["query"].as_str()),
        (Some("/api/x"), Some("a=1"))
    );
}

#[tokio::test]
async fn query_pairs_are_encoded_and_follow_the_paths_query() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let response = api
        .get("/search?lang=de")
        .query(&[("q", "pen & ink=1"), ("ü", "ß/?")])
        .send()
        .await;
    let seen: serde_json::Value = response.expect("sent").json().await.expect("JSON");
    assert_eq!(seen["query"], "lang=de&q=pen+%26+ink%3D1&%C3%BC=%C3%9F%2F%3F");
}

#[tokio::test]
async fn every_method_reaches_the_server() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let requests = [
        ("GET", api.get("/m")),
        ("POST", api.post("/m")),
        ("PUT", api.put("/m")),
        ("PATCH", api.patch("/m")),
        ("DELETE", api.delete("/m")),
        ("OPTIONS", api.request(Method::OPTIONS, "/m")),
    ];
    for (method, request) in requests {
        let seen: serde_json::Value = request.send().await.expect("sent").json().await.expect("JSON");
        assert_eq!(seen["method"], method);
    }
    assert_eq!(api.head("/m").send().await.expect("sent").status(), 200);
}

#[tokio::test]
async fn a_json_body_arrives_with_its_content_type() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let body = json!({ "name": "pen", "price": 3 });
    let seen: serde_json::Value = api
        .post("/items")
        .json(&body)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(seen["headers"]["content-type"], "application/json");
    let arrived: serde_json::Value =
        serde_json::from_str(seen["body"].as_str().expect("text")).expect("JSON");
    assert_eq!(arrived, body);
}

#[tokio::test]
async fn a_raw_body_and_request_headers_arrive() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api"), "headers": { "X-Client": "checkout" } })).await;
    let request = api
        .put("/notes/1")
        .header("content-type", "text/plain")
        .header("x-client", "override");
    let seen: serde_json::Value = request
        .body("hello")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(seen["body"], "hello");
    assert_eq!(seen["headers"]["content-type"], "text/plain");
    assert_eq!(
        seen["headers"]["x-client"], "override",
        "a request's header replaces the default"
    );
}

#[tokio::test]
async fn default_headers_and_bearer_token_arrive() {
    let server = server::echo().await;
    let api = connect(json!({
        "url": server.url("/api"),
        "headers": { "X-Client": "checkout", "X-Trace": "on" },
        "auth": { "bearer": "t0ken" },
    }))
    .await;
    let headers = &echoed(&api, "/x").await["headers"];
    assert_eq!(headers["x-client"], "checkout");
    assert_eq!(headers["x-trace"], "on");
    assert_eq!(headers["authorization"], "Bearer t0ken");
    assert!(
        headers["user-agent"]
            .as_str()
            .is_some_and(|ua| ua.starts_with("connfx/")),
        "{headers}"
    );
}

#[tokio::test]
async fn basic_auth_arrives() {
    let server = server::echo().await;
    let api = connect(json!({
        "url": server.url("/api"),
        "auth": { "username": "Aladdin", "password": "open sesame" },
    }))
    .await;
    assert_eq!(
        echoed(&api, "/x").await["headers"]["authorization"],
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
}

#[tokio::test]
async fn url_user_info_is_sent_as_basic_auth() {
    let server = server::echo().await;
    let url = server
        .url("/api")
        .replace("http://", "http://Aladdin:open%20sesame@");
    let api = connect(json!({ "url": url })).await;
    assert_eq!(
        echoed(&api, "/x").await["headers"]["authorization"],
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
}

#[tokio::test]
async fn an_api_key_arrives_in_its_header() {
    let server = server::echo().await;
    let default_header = connect(json!({ "url": server.url("/api"), "auth": { "api_key": "k3y" } })).await;
    assert_eq!(echoed(&default_header, "/x").await["headers"]["x-api-key"], "k3y");
    let custom =
        json!({ "url": server.url("/api"), "auth": { "api_key": "k3y", "api_key_header": "X-Token" } });
    assert_eq!(
        echoed(&connect(custom).await, "/x").await["headers"]["x-token"],
        "k3y"
    );
}

#[tokio::test]
async fn the_user_agent_can_be_set() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api"), "user_agent": "checkout/1.2" })).await;
    assert_eq!(echoed(&api, "/x").await["headers"]["user-agent"], "checkout/1.2");
}

#[tokio::test]
async fn a_response_reads_as_text_bytes_or_inner() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let text = api
        .get("/t")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(text.contains(r#""path":"/api/t""#), "{text}");
    let bytes = api
        .get("/b")
        .send()
        .await
        .expect("sent")
        .bytes()
        .await
        .expect("bytes");
    assert!(bytes.starts_with(b"{"));
    let response = api.get("/i").send().await.expect("sent");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.into_inner().status(), 200);
}
