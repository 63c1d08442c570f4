//! The messages of the `graphql-transport-ws` protocol (the `graphql-ws` library's), as this
//! client writes and reads them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::GraphqlError;

/// The WebSocket subprotocol a server speaking this protocol expects in the handshake's
/// `Sec-WebSocket-Protocol` header.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// A message this client sends.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Outgoing<'a> {
    ConnectionInit {
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<&'a Value>,
    },
    Subscribe {
        id: &'a str,
        payload: &'a Request,
    },
    Complete {
        id: &'a str,
    },
    Pong {},
}

impl Outgoing<'_> {
    /// The message as the text of a WebSocket frame.
    pub(super) fn text(&self) -> String {
        // An enum of strings and JSON values always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What a `subscribe` message asks for: the operation, as GraphQL over HTTP posts it.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Request {
    pub(super) query: String,
    #[serde(rename = "operationName", skip_serializing_if = "Option::is_none")]
    pub(super) operation_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) variables: Option<Map<String, Value>>,
}

/// A message the server sends. Anything else (an unknown type, text that is not JSON) is
/// logged and skipped.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Incoming {
    ConnectionAck {},
    /// One result of subscription `id`: `{data, errors, extensions}`.
    Next {
        id: String,
        payload: Value,
    },
    /// Subscription `id` failed before it produced a result; it is over.
    Error {
        id: String,
        payload: Vec<GraphqlError>,
    },
    /// Subscription `id` is over.
    Complete {
        id: String,
    },
    Ping {},
    Pong {},
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outgoing_messages_are_the_protocol_s() {
        let request = Request {
            query: "subscription { n }".into(),
            operation_name: None,
            variables: Some(Map::from_iter([("a".to_owned(), json!(1))])),
        };
        let text = Outgoing::Subscribe {
            id: "1",
            payload: &request,
        }
        .text();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"type": "subscribe", "id": "1", "payload": {"query": "subscription { n }", "variables": {"a": 1}}})
        );
        assert_eq!(
            Outgoing::ConnectionInit { payload: None }.text(),
            r#"{"type":"connection_init"}"#
        );
        assert_eq!(
            Outgoing::Complete { id: "7" }.text(),
            r#"{"type":"complete","id":"7"}"#
        );
        assert_eq!(Outgoing::Pong {}.text(), r#"{"type":"pong"}"#);
    }

    #[test]
    fn incoming_messages_are_read_with_or_without_payloads() {
        let ack: Incoming = serde_json::from_str(r#"{"type":"connection_ack","payload":{"x":1}}"#).unwrap();
        assert!(matches!(ack, Incoming::ConnectionAck {}));
        let ping: Incoming = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
        assert!(matches!(ping, Incoming::Ping {}));
        let error: Incoming =
            serde_json::from_str(r#"{"type":"error","id":"2","payload":[{"message":"no"}]}"#).unwrap();
        assert!(matches!(error, Incoming::Error { id, payload } if id == "2" && payload[0].message == "no"));
        assert!(serde_json::from_str::<Incoming>(r#"{"type":"hello"}"#).is_err());
    }
}
