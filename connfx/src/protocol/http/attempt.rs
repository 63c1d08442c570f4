//! One HTTP try, for the policy stack (`crate::resilience::stack`, where the order of the
//! policies and its reasons are written down): the request sent once through reqwest, bounded
//! by the stack's [`Bound`], and what its failure means.

use std::sync::Mutex;

use reqwest::header::HeaderMap;
use reqwest::{Method, Response};
use url::Url;

use super::HttpConnection;
use super::body::Body;
use super::transport::{self, Limits};
use crate::resilience::retry::Outcome;
use crate::resilience::stack::{Attempt, Bound, Failure};

/// What one try needs; shared by every try of a call.
pub(super) struct HttpAttempt<'a> {
    pub(super) connection: &'a HttpConnection,
    pub(super) method: &'a Method,
    pub(super) url: &'a Url,
    pub(super) headers: &'a HeaderMap,
    /// Taken by each try: bytes are sent again, a stream only once.
    pub(super) body: Mutex<Body>,
    /// Credentials for a `per_host` connection's requests to its base URL's origin.
    pub(super) credentials: Option<&'a HeaderMap>,
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

    fn answered(&self, (response, _): &(Response, Limits)) -> Outcome {
        Outcome::Status {
            code: response.status().as_u16(),
            retry_after: None,
        }
    }
}
