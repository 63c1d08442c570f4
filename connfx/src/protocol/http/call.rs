//! One request through the connection's policy stack (`crate::resilience::stack`), its tries
//! made by [`HttpAttempt`].

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, Response};
use url::Url;

use super::Live;
use super::attempt::HttpAttempt;
use super::body::Body;
use super::target;
use super::transport::Limits;
use crate::resilience::retry::RequestInfo;
use crate::resilience::stack::{CallFacts, Called, Overrides};

/// One request, ready to be tried as often as the policies allow. It borrows the connection:
/// cloning it would touch the handle's shared reference count on every call, a cache line all
/// cores fight over when many calls run at once.
pub(super) struct Call<'c> {
    pub(super) connection: &'c Live,
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<reqwest::Body>,
    /// The caller's own limit on the whole call (`.timeout()`).
    pub(super) timeout: Option<Duration>,
    /// The caller's say; `None` leaves it to the method and `retry.non_idempotent`.
    pub(super) idempotent: Option<bool>,
    /// What the request switches off or replaces (`.no_retry()`, …).
    pub(super) overrides: Overrides,
    /// `host:port` for a `per_host` connection: the key of its breaker, rate limit and
    /// `conn.metrics()` entry, computed once by the caller.
    pub(super) host: Option<String>,
}

impl Call<'_> {
    /// Runs the call through the connection's policies; `Ok` holds a response with a status
    /// below 400.
    pub(super) async fn run(self) -> Called<(Response, Limits)> {
        let connection = self.connection;
        let body = Body::new(self.body);
        let mut request = RequestInfo::new(self.method.as_str()).body(body.kind());
        request.idempotent = self.idempotent;
        // Most connections hold no origin credentials: no origin to compare then.
        let credentials = Some(connection.origin_credentials())
            .filter(|c| !c.is_empty() && target::same_origin(connection.base(), &self.url));
        // A `per_host` connection's token goes to its base URL's origin only, as `auth` does.
        let oauth2 = connection
            .oauth2()
            .filter(|_| !connection.is_per_host() || target::same_origin(connection.base(), &self.url));
        let host = self
            .host
            .as_deref()
            .and_then(|host| connection.host_request(host));
        let attempt = HttpAttempt {
            connection,
            host,
            method: &self.method,
            url: &self.url,
            headers: &self.headers,
            body: Mutex::new(body),
            credentials,
            oauth2,
        };
        let facts = CallFacts {
            connection: connection.name(),
            request,
            timeout: self.timeout,
            host: self.host.as_ref(),
            overrides: self.overrides,
        };
        connection.policies().call(&attempt, facts).await
    }
}
