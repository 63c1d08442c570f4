//! [`GraphqlRequest`]: one operation, built up and then sent as an HTTP `POST` through the
//! connection's policies.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::response::{Answer, into_data};
use super::{GraphqlConnection, GraphqlResponse, OperationType};
use crate::{CallError, HttpRequest};

/// What GraphQL over HTTP asks a client to accept: the GraphQL media type, then plain JSON for
/// servers that predate it.
const ACCEPTED: &str = "application/graphql-response+json, application/json";

/// An operation being built; [`send`](GraphqlRequest::send) or
/// [`execute`](GraphqlRequest::execute) sends it. Start one with
/// [`GraphqlConnection::request`] or [`GraphqlConnection::operation`].
///
/// The operation is `POST`ed to the endpoint as `{"query", "operationName", "variables"}`, through
/// the connection's whole policy stack. A mistake made while building (variables that are not a
/// JSON object, an invalid [`Operation`](super::Operation), a bad header) is reported by
/// `send`/`execute` as [`CallError::InvalidRequest`].
///
/// ```no_run
/// use std::time::Duration;
/// use connfx::protocol::graphql::OperationType;
///
/// #[derive(serde::Deserialize)]
/// struct Data {
///     hero: Hero,
/// }
/// #[derive(serde::Deserialize)]
/// struct Hero {
///     name: String,
/// }
///
/// # async fn run(api: connfx::GraphqlConnection) -> Result<(), connfx::CallError> {
/// let text = "query Hero($id: ID!) { hero(id: $id) { name } } query Me { me { name } }";
/// let data: Data = api
///     .request(OperationType::Query, text)
///     .operation_name("Hero")
///     .variables(serde_json::json!({ "id": "1000" }))
///     .header("x-request-id", "42")
///     .timeout(Duration::from_secs(2))
///     .send()
///     .await?;
/// println!("{}", data.hero.name);
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct GraphqlRequest {
    connection: GraphqlConnection,
    http: HttpRequest,
    kind: OperationType,
    /// The query text, or why there is none (an invalid `Operation`).
    query: Result<String, String>,
    operation_name: Option<String>,
    /// The variables object, or why the given variables are not one.
    variables: Result<Option<Map<String, Value>>, String>,
}

/// The JSON body of a GraphQL-over-HTTP `POST`.
#[derive(Serialize)]
struct Body<'a> {
    query: &'a str,
    #[serde(rename = "operationName", skip_serializing_if = "Option::is_none")]
    operation_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variables: Option<&'a Map<String, Value>>,
}

impl GraphqlRequest {
    pub(super) fn new(
        connection: GraphqlConnection,
        kind: OperationType,
        query: Result<String, String>,
    ) -> Self {
        // A query reads: safe to send again. A mutation follows POST's rule (and the
        // connection's `retry.non_idempotent`).
        let mut http = connection
            .http()
            .post("")
            .header(ACCEPT, HeaderValue::from_static(ACCEPTED));
        if kind == OperationType::Query {
            http = http.idempotent(true);
        }
        GraphqlRequest {
            connection,
            http,
            kind,
            query,
            operation_name: None,
            variables: Ok(None),
        }
    }

    /// Sets the variables: anything that serializes to a JSON object (a struct, a map,
    /// `serde_json::json!({…})`), or `()` for none. A later call replaces an earlier one.
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// #[derive(serde::Serialize)]
    /// struct Vars<'a> {
    ///     id: &'a str,
    /// }
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let request = api
    ///     .request(OperationType::Query, "query($id: ID!) { node(id: $id) { id } }")
    ///     .variables(Vars { id: "1" });
    /// # }
    /// ```
    pub fn variables(mut self, variables: impl Serialize) -> Self {
        self.variables = variables_object(variables);
        self
    }

    /// Picks the operation to run when the text holds several; sent as `operationName`.
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let request = api
    ///     .request(OperationType::Query, "query A { a } query B { b }")
    ///     .operation_name("B");
    /// # }
    /// ```
    pub fn operation_name(mut self, name: impl Into<String>) -> Self {
        self.operation_name = Some(name.into());
        self
    }

    /// Adds a header, as [`HttpRequest::header`] does: it replaces a default header of the same
    /// name from the connection's `headers` or `auth`.
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let request = api.request(OperationType::Query, "{ me { id } }").header("x-tenant", "eu");
    /// # }
    /// ```
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        HeaderName: TryFrom<K>,
        HeaderValue: TryFrom<V>,
    {
        self.http = self.http.header(name, value);
        self
    }

    /// Limits this call, retries included, as [`HttpRequest::timeout`] does.
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let request = api
    ///     .request(OperationType::Query, "{ me { id } }")
    ///     .timeout(std::time::Duration::from_millis(500));
    /// # }
    /// ```
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.http = self.http.timeout(limit);
        self
    }

    /// Replaces the connection's `timeout.total` for this operation, longer or shorter: see
    /// [`HttpRequest::total_timeout`](crate::HttpRequest::total_timeout).
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let request = api
    ///     .request(OperationType::Query, "{ report { rows } }")
    ///     .total_timeout(std::time::Duration::from_secs(120));
    /// # }
    /// ```
    pub fn total_timeout(mut self, limit: Duration) -> Self {
        self.http = self.http.total_timeout(limit);
        self
    }

    /// Sends the operation once, whatever the retry policy says: see
    /// [`HttpRequest::no_retry`](crate::HttpRequest::no_retry).
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let request = api.request(OperationType::Mutation, "mutation { ping }").no_retry();
    /// # }
    /// ```
    pub fn no_retry(mut self) -> Self {
        self.http = self.http.no_retry();
        self
    }

    /// Sends the operation past the circuit breaker, uncounted: see
    /// [`HttpRequest::no_circuit_breaker`](crate::HttpRequest::no_circuit_breaker).
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let request = api.request(OperationType::Query, "{ __typename }").no_circuit_breaker();
    /// # }
    /// ```
    pub fn no_circuit_breaker(mut self) -> Self {
        self.http = self.http.no_circuit_breaker();
        self
    }

    /// Says whether sending the operation twice has the same effect as once. Defaults to `true`
    /// for queries and `false` for mutations (see [`GraphqlConnection`'s
    /// retries](super::GraphqlConnection#retries)); set it for a mutation the server
    /// deduplicates, e.g. by an idempotency key.
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let request = api
    ///     .request(OperationType::Mutation, "mutation { charge(key: \"k1\") { id } }")
    ///     .idempotent(true);
    /// assert!(request.is_idempotent());
    /// # }
    /// ```
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.http = self.http.idempotent(idempotent);
        self
    }

    /// Whether the operation may be sent again after it may have reached the server.
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// # fn run(api: connfx::GraphqlConnection) {
    /// assert!(api.request(OperationType::Query, "{ me { id } }").is_idempotent());
    /// # }
    /// ```
    pub fn is_idempotent(&self) -> bool {
        self.http.is_idempotent()
    }

    /// Whether this is a query or a mutation.
    ///
    /// ```
    /// # use connfx::protocol::graphql::OperationType;
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let request = api.request(OperationType::Mutation, "mutation { logout }");
    /// assert_eq!(request.operation_type(), OperationType::Mutation);
    /// # }
    /// ```
    pub fn operation_type(&self) -> OperationType {
        self.kind
    }

    /// Sends the operation and returns its `data`, decoded as `T`.
    ///
    /// # Errors
    /// - [`CallError::Graphql`] when the answer has `errors` (even with partial data: use
    ///   [`execute`](GraphqlRequest::execute) to keep it);
    /// - [`CallError::Decode`] when the answer is not GraphQL JSON, has neither `data` nor
    ///   `errors` (`"data": null` alone), or its `data` is not a `T`;
    /// - the errors of [`HttpRequest::send`]: [`CallError::Status`] for an HTTP status of 400 or
    ///   more (but see [`execute`](GraphqlRequest::execute) for 4xx answers that carry GraphQL
    ///   errors), `Timeout`, `Transport`, `RetriesExhausted`, `CircuitOpen`, `RateLimited`,
    ///   `BulkheadFull`, `InvalidRequest`, `Closed`.
    ///
    /// ```no_run
    /// # use connfx::protocol::graphql::OperationType;
    /// # async fn run(api: connfx::GraphqlConnection) -> Result<(), connfx::CallError> {
    /// let me: serde_json::Value = api.request(OperationType::Query, "{ me { id } }").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send<T: DeserializeOwned>(self) -> Result<T, CallError> {
        let connection = self.connection.clone();
        let response = self.execute().await?;
        into_data(response, connection.name())
    }

    /// Sends the operation and returns the whole answer: partial `data` next to its `errors`,
    /// and `extensions`.
    ///
    /// An answer with HTTP status 4xx whose body is a GraphQL answer with `errors` (as GraphQL
    /// over HTTP servers send for a query that does not parse or validate) is returned as an
    /// answer, not as [`CallError::Status`].
    ///
    /// # Errors
    /// As [`send`](GraphqlRequest::send), except that `errors` alone are not an error; they are
    /// one ([`CallError::Graphql`]) only when `data` is present but is not a `T`.
    ///
    /// ```no_run
    /// # use connfx::protocol::graphql::OperationType;
    /// # async fn run(api: connfx::GraphqlConnection) -> Result<(), connfx::CallError> {
    /// let answer = api
    ///     .request(OperationType::Query, "{ me { id } }")
    ///     .execute::<serde_json::Value>()
    ///     .await?;
    /// if let Some(cost) = answer.extensions.get("cost") {
    ///     println!("query cost {cost}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn execute<T: DeserializeOwned>(self) -> Result<GraphqlResponse<T>, CallError> {
        let connection = self.connection.clone();
        let name = connection.name();
        let kind = self.kind;
        let answer = self.answer().await?;
        tracing::debug!(
            connection = name,
            operation = %kind,
            errors = answer.has_errors(),
            "graphql call"
        );
        answer.decode(name)
    }

    /// Posts the operation and reads the answer.
    async fn answer(self) -> Result<Answer, CallError> {
        let GraphqlRequest {
            connection,
            http,
            query,
            operation_name,
            variables,
            ..
        } = self;
        let invalid = |message: String| CallError::InvalidRequest {
            connection: connection.name().to_owned(),
            message,
        };
        let query = query.map_err(&invalid)?;
        let variables = variables.map_err(&invalid)?;
        let body = Body {
            query: &query,
            operation_name: operation_name.as_deref(),
            variables: variables.as_ref(),
        };
        match http.json(&body).send().await {
            Ok(response) => response.json().await,
            Err(CallError::Status {
                connection,
                code,
                body,
            }) => graphql_in_status(code, &body).ok_or(CallError::Status {
                connection,
                code,
                body,
            }),
            Err(other) => Err(other),
        }
    }
}

/// A 4xx answer whose body is a GraphQL answer with errors (GraphQL over HTTP's "request
/// error"). 5xx stays a status error: the server failed, whatever it says.
fn graphql_in_status(code: u16, body: &str) -> Option<Answer> {
    if !(400..500).contains(&code) {
        return None;
    }
    serde_json::from_str::<Answer>(body)
        .ok()
        .filter(Answer::has_errors)
}

/// The variables as a JSON object; `()` (JSON `null`) is none.
pub(super) fn variables_object(variables: impl Serialize) -> Result<Option<Map<String, Value>>, String> {
    match serde_json::to_value(variables) {
        Ok(Value::Null) => Ok(None),
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err("the variables must serialize to a JSON object (or `()` for none)".to_owned()),
        Err(e) => Err(format!("the variables do not serialize: {e}")),
    }
}

impl fmt::Debug for GraphqlRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphqlRequest")
            .field("connection", &self.connection.name())
            .field("operation_type", &self.kind)
            .field("operation_name", &self.operation_name)
            .field("idempotent", &self.is_idempotent())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_must_be_an_object_or_nothing() {
        assert_eq!(variables_object(()), Ok(None));
        assert_eq!(variables_object(None::<Map<String, Value>>), Ok(None));
        let object = variables_object(serde_json::json!({"id": 1})).unwrap().unwrap();
        assert_eq!(object["id"], 1);
        assert!(variables_object([1, 2]).is_err());
        assert!(variables_object("id").is_err());
    }

    #[test]
    fn the_body_leaves_out_what_is_not_set() {
        let body = Body {
            query: "{ a }",
            operation_name: None,
            variables: None,
        };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"query":"{ a }"}"#);
        let vars = Map::from_iter([("id".to_owned(), Value::from(1))]);
        let body = Body {
            query: "query Q($id: ID) { a(id: $id) }",
            operation_name: Some("Q"),
            variables: Some(&vars),
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"query":"query Q($id: ID) { a(id: $id) }","operationName":"Q","variables":{"id":1}}"#
        );
    }

    #[test]
    fn only_4xx_answers_with_errors_are_graphql_answers() {
        let body = r#"{"errors":[{"message":"Syntax Error"}]}"#;
        assert!(graphql_in_status(400, body).is_some());
        assert!(graphql_in_status(500, body).is_none());
        assert!(graphql_in_status(400, r#"{"errors":[]}"#).is_none());
        assert!(graphql_in_status(404, "not found").is_none());
    }
}
