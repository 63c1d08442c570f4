//! One HTTP try, for the policy stack (`crate::resilience::stack`, where the order of the
//! policies and its reasons are written down): the request sent once through reqwest, bounded
//! by the stack's [`Bound`], and what its failure means.

use std::sync::Mutex;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, Response};
use url::Url;

use super::Live;
use super::body::Body;
use super::hosts::HostRequest;
use super::oauth2::TokenSource;
use super::transport::{self, Limits};
use crate::resilience::Outcome;
use crate::resilience::retry::BodyKind;
use crate::resilience::stack::{Attempt, Bound, Elapsed, Failure};

/// What one try needs; shared by every try of a call.
pub(super) struct HttpAttempt<'a> {
    pub(super) connection: &'a Live,
    /// What `hosts` adds to requests to this call's host, if it names the host.
    pub(super) host: Option<&'a HostRequest>,
    pub(super) method: &'a Method,
    pub(super) url: &'a Url,
    pub(super) headers: &'a HeaderMap,
    /// Taken by each try: bytes are sent again, a stream only once.
    pub(super) body: Mutex<Body>,
    /// Credentials for a `per_host` connection's requests to its base URL's origin.
    pub(super) credentials: Option<&'a HeaderMap>,
    /// The OAuth2 token source, when `auth.oauth2` is set (and, for a `per_host` connection,
    /// the request goes to its base URL's origin).
    pub(super) oauth2: Option<&'a TokenSource>,
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
            until: bound.end(),
        };
        // Each try is a request of its own for the semantic conventions' metrics.
        let method = crate::telemetry::method_name(self.method);
        let peer = crate::telemetry::Peer::of_url(self.url, None);
        let measure = self.connection.telemetry().http_request(method, peer);
        // The stack's own timer bounds the try, not reqwest's `RequestBuilder::timeout`: that
        // one stores the limit in the request's extensions and boxes a timer per request, four
        // allocations per call (BENCHMARKS.md); a body read after this is bound by `limits.until`.
        let result = match Bound::run_until(limits.until, self.sent(bound, limits)).await {
            Ok(Ok(response)) => Ok((response, limits)),
            Ok(Err(failure)) => Err(failure),
            Err(Elapsed) => Err(bound.timed_out(name)),
        };
        match &result {
            Ok((response, _)) => measure.end(Some(response.status().as_u16()), None),
            Err(failure) => measure.end(failure.error.status(), Some(&failure.error)),
        }
        result
    }

    fn answered(&self, (response, _): &(Response, Limits)) -> Outcome {
        Outcome::Status {
            code: response.status().as_u16(),
            retry_after: None,
        }
    }
}

impl HttpAttempt<'_> {
    /// Sends the request; a status of 400 or more is a failure, with the start of its body.
    /// The request is built here, not by the caller: this future moves into the timer before
    /// its first poll, and unstarted it holds only its arguments, not the request.
    async fn sent(&self, bound: &Bound, limits: Limits) -> Result<Response, Failure> {
        let Some(tokens) = self.oauth2 else {
            return self.sent_with(None, bound, limits).await;
        };
        let send = |token: HeaderValue| async move { self.sent_with(Some(&token), bound, limits).await };
        // A refused token is sent again with a new one when the body can be sent again.
        let resendable = || self.body.lock().is_ok_and(|b| b.kind() != BodyKind::Streaming);
        let name = self.connection.name();
        tokens.with_token(self.connection, name, send, resendable).await
    }

    /// Sends the request once, with `token` as its `Authorization` when set.
    async fn sent_with(
        &self,
        token: Option<&HeaderValue>,
        bound: &Bound,
        limits: Limits,
    ) -> Result<Response, Failure> {
        let name = self.connection.name();
        let mut request = self
            .connection
            .client()
            .request(self.method.clone(), self.url.clone());
        if let Some(credentials) = self.credentials {
            // Before the request's own headers, which win over a default of the same name.
            request = request.headers(credentials.clone());
        }
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, token.clone());
        }
        if let Some(host) = self.host {
            // Over the client's default headers and the credentials; under the request's own.
            request = request.headers(host.headers.clone());
            if let Some(total) = host.timeout {
                request = request.timeout(total);
            }
        }
        request = request.headers(self.headers.clone());
        let body = self.body.lock().map(|mut b| b.take()).unwrap_or(None);
        if let Some(body) = body {
            request = request.body(body);
        }
        match self.connection.send_raw(request).await {
            Ok(response) if response.status().as_u16() < 400 => Ok(response),
            Ok(response) => {
                let outcome = Outcome::Status {
                    code: response.status().as_u16(),
                    retry_after: transport::retry_after(response.headers()),
                };
                let error = super::response::status_error(name, response).await;
                Err(Failure::new(error, outcome))
            }
            Err(err) => {
                let outcome = transport::outcome(&err);
                let deadline_passed = err.is_timeout() && bound.deadline_binds();
                let error = transport::call_error(name, err, limits);
                Err(Failure {
                    deadline_passed,
                    ..Failure::new(error, outcome)
                })
            }
        }
    }
}
