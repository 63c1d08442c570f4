//! `auth.oauth2` on an SSE connection: every open sends the kept token (one token request for
//! many opens), and an open refused with 401 gets a new token and opens.

use std::sync::atomic::Ordering;

use futures_util::future::join_all;

use crate::oauth2_server::{self, CLIENT_SECRET};
use crate::{connect, next};

fn oauth2(server: &oauth2_server::OAuth2Server) -> serde_json::Value {
    serde_json::json!({ "auth": { "oauth2": {
        "token_url": server.token_url(), "client_id": "svc", "client_secret": CLIENT_SECRET,
    } } })
}

#[tokio::test]
async fn opens_share_one_token_and_a_refused_one_is_renewed() {
    let server = oauth2_server::start(3600).await;
    let prices = connect(&format!("{}/prices", server.origin), oauth2(&server)).await;
    let opens = (0..5).map(|_| async {
        let mut stream = prices.events();
        next(&mut stream).await.expect("an item").expect("an event").data
    });
    let events = join_all(opens).await;
    assert!(events.iter().all(|data| data == "/prices"), "{events:?}");
    assert_eq!(server.ledger.token_requests(), 1, "single flight");

    server.ledger.revoke();
    let mut stream = prices.events();
    let event = next(&mut stream)
        .await
        .expect("an item")
        .expect("opened with a new token");
    assert_eq!(event.data, "/prices");
    assert_eq!(server.ledger.token_requests(), 2);
    assert_eq!(server.ledger.refusals.load(Ordering::SeqCst), 1);
    assert!(!format!("{prices:?}").contains(CLIENT_SECRET));
}
