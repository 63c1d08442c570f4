//! [`HttpRequest`]: one request through a connection, built up and then sent.

use std::fmt;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use url::Url;

use tracing::Instrument;

use super::{HttpResponse, Live, call, span};
use crate::resilience::stack::{Called, Overrides};
use crate::telemetry::Measure;
use crate::{CallError, Headers};

/// A request being built; [`HttpRequest::send`] sends it. Start one with
/// [`HttpConnection::get`](super::HttpConnection::get), [`post`](super::HttpConnection::post), … or
/// [`request`](super::HttpConnection::request).
///
/// The connection's base URL, default headers, auth, TLS and timeouts apply without the
/// caller's help. A mistake made while building (a bad header, a body that does not serialize, a
/// path that leaves the base URL) is reported by `send`, as
/// [`CallError::InvalidRequest`](crate::CallError::InvalidRequest).
///
/// ```no_run
/// use std::time::Duration;
///
/// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
/// let created: serde_json::Value = api
///     .post("/items")
///     .header("x-request-id", "42")
///     .query(&[("dry_run", "false")])
///     .json(&serde_json::json!({ "name": "pen" }))
///     .timeout(Duration::from_secs(2))
///     .idempotent(true)
///     .send()
///     .await?
///     .json()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct HttpRequest {
    connection: Live,
    method: Method,
    url: Result<Url, String>,
    headers: HeaderMap,
    body: Option<reqwest::Body>,
    timeout: Option<Duration>,
    /// The caller's say (`.idempotent(..)`); `None` leaves it to the method and the connection's
    /// `retry.non_idempotent`.
    idempotent: Option<bool>,
    /// What this request switches off of the connection's policies, or replaces.
    overrides: Overrides,
    /// The first mistake made while building, reported by `send`.
    invalid: Option<String>,
}

impl HttpRequest {
    pub(super) fn new(connection: Live, method: Method, url: Result<Url, String>) -> Self {
        HttpRequest {
            connection,
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            timeout: None,
            idempotent: None,
            overrides: Overrides::default(),
            invalid: None,
        }
    }

    /// Adds a header (a second call with the same name adds a second value). It replaces a
    /// default header of the same name from the connection's `headers` or `auth`. Values of
    /// credential-like names (`authorization`, `…token…`, `…key…`, …) are marked sensitive.
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let request = api.get("/items").header("accept-language", "de");
    /// # }
    /// ```
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        HeaderName: TryFrom<K>,
        HeaderValue: TryFrom<V>,
    {
        let Ok(name) = HeaderName::try_from(name) else {
            return self.invalid("a header name is not valid".to_owned());
        };
        match HeaderValue::try_from(value) {
            Ok(mut value) => {
                value.set_sensitive(value.is_sensitive() || Headers::is_sensitive(name.as_str()));
                self.headers.append(name, value);
                self
            }
            Err(_) => self.invalid(format!(
                "the value of header `{name}` holds a character a header may not"
            )),
        }
    }

    /// Sends `value` as a JSON body, with `Content-Type: application/json` unless a content
    /// type was set already.
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let request = api.post("/items").json(&serde_json::json!({ "name": "pen" }));
    /// # }
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                if !self.headers.contains_key(CONTENT_TYPE) {
                    self.headers
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                }
                self.body = Some(bytes.into());
                self
            }
            Err(e) => self.invalid(format!("the JSON body does not serialize: {e}")),
        }
    }

    /// Sends `body` as it is: a `String`, `Vec<u8>`, `&'static str`, a stream, …
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let request = api.put("/notes/1").header("content-type", "text/plain").body("hello");
    /// # }
    /// ```
    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Appends query pairs to the URL, form-encoded (`a b&c` → `a+b%26c`), after any query the
    /// path or the base URL already has.
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let request = api.get("/search").query(&[("q", "pen & ink"), ("page", "2")]);
    /// # }
    /// ```
    pub fn query<K: AsRef<str>, V: fmt::Display>(mut self, pairs: &[(K, V)]) -> Self {
        if let Ok(url) = &mut self.url
            && !pairs.is_empty()
        {
            let mut query = url.query_pairs_mut();
            for (key, value) in pairs {
                query.append_pair(key.as_ref(), &value.to_string());
            }
        }
        self
    }

    /// Limits this whole call, retries and the waits between them included; the shorter of this
    /// and the connection's `timeout.total` applies (and `timeout.per_attempt` still bounds each
    /// try). Hitting it gives [`CallError::Timeout`](crate::CallError::Timeout).
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let request = api.get("/slow").timeout(std::time::Duration::from_millis(500));
    /// # }
    /// ```
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Replaces the connection's `timeout.total` for this call: the whole call, retries and
    /// waits included, may take `limit`, longer or shorter than the connection allows
    /// (`timeout.per_attempt` still bounds each try). The rule: [`timeout`](Self::timeout)
    /// can only shorten a call; a request that must outlast its connection's total (an export,
    /// a report) says so with this.
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let request = api.post("/exports").total_timeout(std::time::Duration::from_secs(300));
    /// # }
    /// ```
    pub fn total_timeout(mut self, limit: Duration) -> Self {
        self.overrides.total = Some(limit);
        self
    }

    /// Sends this request once, whatever the connection's retry policy says (seed 001's
    /// `WithSkipRetry`); its retry budget is neither spent nor fed. Every other policy applies.
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let request = api.post("/charges").no_retry();
    /// # }
    /// ```
    pub fn no_retry(mut self) -> Self {
        self.overrides.no_retry = true;
        self
    }

    /// Sends this request past the connection's circuit breaker (seed 001's `WithSkipCircuit`):
    /// an open breaker does not stop it, and its result is not counted. Every other policy
    /// applies. For probes and operator actions that must reach the service whatever its
    /// breaker says.
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let request = api.get("/health/deep").no_circuit_breaker();
    /// # }
    /// ```
    pub fn no_circuit_breaker(mut self) -> Self {
        self.overrides.no_breaker = true;
        self
    }

    /// Says whether sending this request twice has the same effect as once. Defaults to `true`
    /// for every method but `POST` and `PATCH`.
    ///
    /// The retry policy retries a non-idempotent request only when it cannot have reached the
    /// server (refused before a byte was sent), unless this is set to `true` or the connection's
    /// `retry.non_idempotent` is. A body that cannot be replayed (a stream) is never retried.
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let request = api.post("/charges").header("idempotency-key", "ch_1").idempotent(true);
    /// assert!(request.is_idempotent());
    /// # }
    /// ```
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Whether this request may be sent again (see [`HttpRequest::idempotent`]).
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// assert!(!api.post("/items").is_idempotent());
    /// # }
    /// ```
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
            .unwrap_or(!matches!(self.method, Method::POST | Method::PATCH))
    }

    /// Sends the request and waits for the response's status and headers.
    ///
    /// # Errors
    /// - [`CallError::Closed`] once the connection is closed;
    /// - [`CallError::InvalidRequest`] for a mistake made while building;
    /// - [`CallError::Timeout`] when a time limit is hit;
    /// - [`CallError::Transport`] when the request cannot be sent (refused, TLS, DNS, …);
    /// - [`CallError::Status`] for a status of 400 or more, with the start of the body.
    ///
    /// ```no_run
    /// # async fn run(api: connfx::HttpConnection) {
    /// match api.get("/items/1").send().await {
    ///     Ok(response) => println!("{}", response.status()),
    ///     Err(connfx::CallError::Status { code: 404, .. }) => println!("no such item"),
    ///     Err(other) => eprintln!("{other}"),
    /// }
    /// # }
    /// ```
    pub async fn send(self) -> Result<HttpResponse, CallError> {
        let connection = self.connection;
        let name = connection.name();
        let Some(_in_flight) = connection.lifecycle().enter() else {
            return Err(CallError::Closed {
                connection: name.to_owned(),
            });
        };
        let invalid = self.invalid;
        let url = self
            .url
            .and_then(|url| invalid.map_or(Ok(url), Err))
            .map_err(|message| CallError::InvalidRequest {
                connection: name.to_owned(),
                message,
            })?;
        let span = span::start(name, &self.method, &url);
        let mut headers = self.headers;
        crate::telemetry::trace_context::inject(&span, &mut headers);
        let method = crate::telemetry::method_name(&self.method);
        // Counted by `host:port`, as a `per_host` connection keys its breaker and rate limit.
        let host = connection.is_per_host().then(|| super::target::host_key(&url));
        let measure = Measure::start_to(connection.telemetry(), method, host.as_deref());
        let call = call::Call {
            connection: &connection,
            method: self.method,
            url,
            headers,
            body: self.body,
            timeout: self.timeout,
            idempotent: self.idempotent,
            overrides: self.overrides,
            host,
        };
        // Boxed: the stack's state is several KB, and a future that size costs more to move
        // (into a task, a `join_all`, each enclosing future) than one allocation.
        let run = Box::pin(call.run());
        // A disabled span is left out: entering it on every poll still costs a `log` check.
        let Called { result, tries } = match span.is_disabled() {
            true => run.await,
            false => run.instrument(span.clone()).await,
        };
        let (status, error) = match &result {
            Ok((response, _)) => (Some(response.status().as_u16()), None),
            Err(error) => (None, Some(error)),
        };
        span::end(&span, status, error, tries.saturating_sub(1));
        measure.end(&span, error);
        let (response, limits) = result?;
        drop(_in_flight);
        Ok(HttpResponse::new(connection, response, limits))
    }

    fn invalid(mut self, message: String) -> Self {
        self.invalid.get_or_insert(message);
        self
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("connection", &self.connection.name())
            .field("method", &self.method)
            .field("path", &self.url.as_ref().map(Url::path))
            .field("timeout", &self.timeout)
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}
