//! One HTTP try, for the policy stack (`crate::resilience::stack`, where the order of the
//! policies and its reasons are written down): the request sent once through reqwest, bounded
//! by the stack's [`Bound`], and what its failure means.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, Response};
use url::Url;

use super::HttpConnection;
use super::target;
use super::transport::{self, Limits};
use crate::resilience::retry::{BodyKind, Outcome, RequestInfo, RetryAfter};
use crate::resilience::stack::{Attempt, Bound, CallFacts, Called, Failure};

/// One request, ready to be tried as often as the policies allow. It borrows the connection:
/// cloning it would touch the handle's shared reference count on every call, a cache line all
/// cores fight over when many calls run at once.
pub(super) struct Call<'c> {
    pub(super) connection: &'c HttpConnection,
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<reqwest::Body>,
    /// The caller's own limit on the whole call (`.timeout()`).
    pub(super) timeout: Option<Duration>,
    /// The caller's say; `None` leaves it to the method and `retry.non_idempotent`.
    pub(super) idempotent: Option<bool>,
}

impl Call<'_> {
    /// Runs the call through the connection's policies; `Ok` holds a response with a status
    /// below 400.
    pub(super) async fn run(self) -> Called<(Response, Limits)> {
        let connection = self.connection;
        let body = Body::new(self.body);
        let mut request = RequestInfo::new(self.method.as_str()).body(body.kind());
        request.idempotent = self.idempotent;
        let host = connection.config().per_host.then(|| target::host_key(&self.url));
        let same_origin = target::same_origin(connection.base(), &self.url);
        let attempt = HttpAttempt {
            connection,
            method: &self.method,
            url: &self.url,
            headers: &self.headers,
            body: Mutex::new(body),
            credentials: Some(connection.origin_credentials()).filter(|c| !c.is_empty() && same_origin),
        };
        let facts = CallFacts {
            connection: connection.name(),
            request,
            timeout: self.timeout,
            host: host.as_ref(),
        };
        connection.policies().call(&attempt, facts).await
    }
}

/// What one try needs; shared by every try of a call.
struct HttpAttempt<'a> {
    connection: &'a HttpConnection,
    method: &'a Method,
    url: &'a Url,
    headers: &'a HeaderMap,
    /// Taken by each try: bytes are sent again, a stream only once.
    body: Mutex<Body>,
    /// Credentials for a `per_host` connection's requests to its base URL's origin.
    credentials: Option<&'a HeaderMap>,
}

impl Attempt for HttpAttempt<'_> {
    type Output = (Response, Limits);

    fn connection(&self) -> &str {
        self.connection.name()
    }

    async fn once(&self, bound: &Bound) -> Result<(Response, Limits), Failure> {
        let name = self.connection.name();
        let limits = Limits {
            connect: self.connection.config().timeout.connect,
            request: bound.named(),
        };
        let mut request = self
            .connection
            .client()
            .request(self.method.clone(), self.url.clone());
        if let Some(credentials) = self.credentials {
            // Before the request's own headers, which win over a default of the same name.
            request = request.headers(credentials.clone());
        }
        request = request.headers(self.headers.clone());
        // reqwest keeps a timer per request anyway: it enforces the bound, no second timer.
        if let Some(limit) = bound.limit() {
            request = request.timeout(limit);
        }
        let body = self.body.lock().map(|mut b| b.take()).unwrap_or(None);
        if let Some(body) = body {
            request = request.body(body);
        }
        match self.connection.send_raw(request).await {
            Ok(response) if response.status().as_u16() < 400 => Ok((response, limits)),
            Ok(response) => {
                let outcome = Outcome::Status {
                    code: response.status().as_u16(),
                    retry_after: retry_after(response.headers()),
                };
                let error = super::response::status_error(name, response).await;
                Err(Failure::new(error, outcome))
            }
            Err(err) => {
                let outcome = if err.is_connect() {
                    Outcome::Connect
                } else if err.is_timeout() {
                    Outcome::Timeout { sent: true }
                } else {
                    Outcome::Transport
                };
                let deadline_passed = err.is_timeout() && bound.deadline_binds();
                let error = transport::call_error(name, err, limits);
                Err(Failure {
                    deadline_passed,
                    ..Failure::new(error, outcome)
                })
            }
        }
    }

    fn answered(&self, (response, _): &(Response, Limits)) -> Outcome {
        Outcome::Status {
            code: response.status().as_u16(),
            retry_after: None,
        }
    }
}

fn retry_after(headers: &HeaderMap) -> Option<RetryAfter> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()
        .and_then(RetryAfter::parse)
}

/// A request body as the retry loop keeps it: bytes can be sent again, a stream only once.
enum Body {
    Empty,
    Bytes(Bytes),
    Stream(Option<reqwest::Body>),
}

impl Body {
    fn new(body: Option<reqwest::Body>) -> Self {
        match body {
            None => Body::Empty,
            Some(body) => match body.as_bytes() {
                Some(bytes) => Body::Bytes(Bytes::copy_from_slice(bytes)),
                None => Body::Stream(Some(body)),
            },
        }
    }

    fn kind(&self) -> BodyKind {
        match self {
            Body::Empty => BodyKind::Empty,
            Body::Bytes(_) => BodyKind::Replayable,
            Body::Stream(_) => BodyKind::Streaming,
        }
    }

    /// The body for the next try (a stream is handed out once).
    fn take(&mut self) -> Option<reqwest::Body> {
        match self {
            Body::Empty => None,
            Body::Bytes(bytes) => Some(bytes.clone().into()),
            Body::Stream(stream) => stream.take(),
        }
    }
}
