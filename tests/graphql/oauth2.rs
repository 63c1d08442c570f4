//! `auth.oauth2` on a GraphQL connection, which sends through its HTTP connection: one token
//! for concurrent queries, a new one after a 401.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::connect;
use crate::oauth2_server::{self, CLIENT_SECRET};

#[tokio::test]
async fn queries_share_one_token_and_a_refused_one_is_renewed() {
    let server = oauth2_server::start(3600).await;
    let oauth2 = json!({ "auth": { "oauth2": {
        "token_url": server.token_url(), "client_id": "svc", "client_secret": CLIENT_SECRET,
    } } });
    let api = connect(&format!("{}/graphql", server.origin), oauth2).await;
    let queries = (0..10).map(|_| api.query::<Value>("{ path }", ()));
    let answers = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        futures_util::future::join_all(queries),
    )
    .await
    .expect("answered in time");
    for answer in answers {
        assert_eq!(answer.expect("data")["path"], "/graphql");
    }
    assert_eq!(server.ledger.token_requests(), 1, "single flight");

    server.ledger.revoke();
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        api.query::<Value>("{ path }", ()),
    )
    .await
    .expect("answered in time");
    assert_eq!(answer.expect("renewed")["path"], "/graphql");
    assert_eq!(server.ledger.token_requests(), 2);
    assert_eq!(server.ledger.refusals.load(Ordering::SeqCst), 1);
}
