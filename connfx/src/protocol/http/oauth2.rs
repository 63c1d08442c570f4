//! OAuth2 client credentials (`auth.oauth2`, RFC 6749 §4.4): the access token a connection
//! sends, fetched on first use, kept, fetched again shortly before it expires or after the API
//! refused it, one request at a time however many calls wait.
//!
//! The token request is written here rather than with the `oauth2` crate: it is one form
//! `POST` and one JSON answer, and sending it through the connection's own reqwest client
//! (`Live::send_raw`) inside the try keeps the connection's TLS settings, its stub transport,
//! its try limits and its retry policy for the token endpoint too. The `oauth2` crate 5 would
//! need an `AsyncHttpClient` adapter around that same client to do the same, and its own
//! reqwest integration targets reqwest 0.12 while connfx uses 0.13 (a second reqwest in the
//! tree).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use tokio::time::Instant;

use super::Live;
use super::transport;
use crate::resilience::Outcome;
use crate::resilience::retry::RetryAfter;
use crate::resilience::stack::Failure;
use crate::{CallError, OAuth2ClientAuth, OAuth2Config, Secret};

/// What the token request is sent through: the connection's own client (and, for HTTP, its
/// stub transport), so TLS settings and tests apply to the token endpoint too.
pub(crate) trait TokenClient {
    /// The connection's reqwest client.
    fn client(&self) -> &reqwest::Client;

    /// Sends a request built on [`client`](TokenClient::client).
    fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> impl Future<Output = Result<reqwest::Response, reqwest::Error>> + Send;
}

/// A plain client (SSE, WebSocket): the token request goes out as it is.
impl TokenClient for reqwest::Client {
    fn client(&self) -> &reqwest::Client {
        self
    }

    fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> impl Future<Output = Result<reqwest::Response, reqwest::Error>> + Send {
        request.send()
    }
}

impl TokenClient for Live {
    fn client(&self) -> &reqwest::Client {
        Live::client(self)
    }

    fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> impl Future<Output = Result<reqwest::Response, reqwest::Error>> + Send {
        self.send_raw(request)
    }
}

/// A token that could not be had: what went wrong (never the secret or a token) and what it
/// means to the retry rules and the breaker. The request to the API was not sent.
#[derive(Debug)]
pub(crate) struct TokenError {
    pub(crate) message: String,
    pub(crate) outcome: Outcome,
}

/// What a protocol's failure says about its token, for [`TokenSource::with_token`].
pub(crate) trait TokenFailure: Sized {
    /// Whether the server refused the token sent (401 Unauthorized).
    fn refused(&self) -> bool;
    /// The failure of a try of the connection called `connection` whose token could not be had.
    fn no_token(error: TokenError, connection: &str) -> Self;
}

/// An HTTP try's.
impl TokenFailure for Failure {
    fn refused(&self) -> bool {
        matches!(self.outcome, Outcome::Status { code: 401, .. })
    }

    fn no_token(error: TokenError, connection: &str) -> Self {
        let call_error = CallError::Transport {
            connection: connection.to_owned(),
            message: error.message,
        };
        Failure::new(call_error, error.outcome)
    }
}

fn failed(message: impl Into<String>, outcome: Outcome) -> TokenError {
    TokenError {
        message: message.into(),
        outcome,
    }
}

/// How long before its `expires_in` runs out a token is replaced: a fifth of its life, at most
/// a minute, so a call never sends a token that expires on its way.
const EARLY_AT_MOST: Duration = Duration::from_secs(60);

/// The access token of one connection generation, and the single flight that renews it.
pub(crate) struct TokenSource {
    config: OAuth2Config,
    current: std::sync::Mutex<Option<Token>>,
    /// Held by the one call that asks the token endpoint; the others wait for its token.
    renewing: tokio::sync::Mutex<()>,
}

/// A token as sent (`Bearer …`, marked sensitive) and until when it is used.
#[derive(Clone)]
struct Token {
    header: HeaderValue,
    use_until: Option<Instant>,
}

impl Token {
    fn is_fresh(&self, now: Instant) -> bool {
        self.use_until.is_none_or(|until| now < until)
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// The token source of `config` (already checked: token URL, id and secret set).
    pub(crate) fn new(config: OAuth2Config) -> Self {
        TokenSource {
            config,
            current: std::sync::Mutex::new(None),
            renewing: tokio::sync::Mutex::new(()),
        }
    }

    /// The token source of `oauth2` (a connection's `auth.oauth2`), if set: `before`'s when it
    /// was made from the same settings, so a reload that leaves `auth.oauth2` as it is keeps
    /// the token; else a new one, which asks for its first token when one is needed.
    pub(crate) fn kept_or_new(
        oauth2: Option<&OAuth2Config>,
        before: Option<&Arc<TokenSource>>,
    ) -> Option<Arc<TokenSource>> {
        let config = oauth2?;
        match before {
            Some(kept) if kept.config == *config => Some(Arc::clone(kept)),
            _ => Some(Arc::new(TokenSource::new(config.clone()))),
        }
    }

    /// The `Authorization` value to send: the kept token while it is fresh, else a new one.
    ///
    /// # Errors
    /// A [`TokenError`] when the token endpoint cannot be reached or refuses: a status of
    /// 5xx, 429 or 408 for the retry policy to judge, a refusal (400, 401 …) never retried.
    pub(crate) async fn header(&self, via: &impl TokenClient) -> Result<HeaderValue, TokenError> {
        if let Some(header) = self.fresh() {
            return Ok(header);
        }
        let _turn = self.renewing.lock().await;
        // Another call may have renewed it while this one waited.
        if let Some(header) = self.fresh() {
            return Ok(header);
        }
        let token = self.fetch(via).await?;
        let header = token.header.clone();
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(token);
        Ok(header)
    }

    /// `send` with the kept token (a new one asked for first when none is fresh); when its
    /// failure says the token was [refused](TokenFailure::refused), that token is forgotten
    /// and, if `resendable` (an HTTP body that was a stream is not), `send` runs once more with
    /// a new one. The one rule for every protocol with `auth.oauth2`: an HTTP try, an SSE
    /// open, a WebSocket handshake.
    ///
    /// # Errors
    /// `send`'s failure, or the one for a token that could not be had
    /// ([`TokenFailure::no_token`]).
    pub(crate) async fn with_token<T, E, F, Fut>(
        &self,
        via: &impl TokenClient,
        connection: &str,
        send: F,
        resendable: impl Fn() -> bool,
    ) -> Result<T, E>
    where
        E: TokenFailure,
        F: Fn(HeaderValue) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let no_token = |error| E::no_token(error, connection);
        let token = self.header(via).await.map_err(no_token)?;
        match send(token.clone()).await {
            Err(failure) if failure.refused() => {
                self.reject(&token);
                if !resendable() {
                    return Err(failure);
                }
                tracing::debug!(connection, "oauth2 token refused; fetching a new one");
                send(self.header(via).await.map_err(no_token)?).await
            }
            other => other,
        }
    }

    /// Forgets `sent` after the API answered 401 to it, so the next call asks for a new one;
    /// a token already renewed by another call is kept.
    pub(crate) fn reject(&self, sent: &HeaderValue) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|token| token.header == *sent) {
            *current = None;
        }
    }

    /// The kept token while it is fresh, without asking for one (health probes).
    pub(crate) fn kept(&self) -> Option<HeaderValue> {
        self.fresh()
    }

    fn fresh(&self) -> Option<HeaderValue> {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        current
            .as_ref()
            .filter(|token| token.is_fresh(now))
            .map(|token| token.header.clone())
    }

    /// One request to the token endpoint.
    async fn fetch(&self, via: &impl TokenClient) -> Result<Token, TokenError> {
        let asked_at = Instant::now();
        let request = self.request(via.client())?;
        let response = via.send(request).await.map_err(|err| {
            // The API request never left, whatever happened to the token request.
            let outcome = match err.is_timeout() {
                true => Outcome::Timeout { sent: false },
                false => Outcome::Connect,
            };
            failed(
                format!("OAuth2 token endpoint: {}", transport::describe(err)),
                outcome,
            )
        })?;
        let status = response.status().as_u16();
        let retry_after = transport::retry_after(response.headers());
        let body = response.bytes().await.map_err(|err| {
            failed(
                format!("OAuth2 token endpoint: {}", transport::describe(err)),
                Outcome::Connect,
            )
        })?;
        if status >= 300 {
            return Err(refused(status, retry_after, &body));
        }
        let answer = parse(&body)
            .map_err(|message| failed(format!("OAuth2 token endpoint: {message}"), Outcome::Refused))?;
        tracing::debug!(expires_in = ?answer.expires_in, "oauth2 token fetched");
        let use_until = answer.expires_in.map(|life| asked_at + life - early(life));
        Ok(Token {
            header: answer.header,
            use_until,
        })
    }

    /// The client-credentials request: a form `POST`, the client authenticated as
    /// `client_auth` says.
    fn request(&self, client: &reqwest::Client) -> Result<reqwest::RequestBuilder, TokenError> {
        let config = &self.config;
        let (Some(url), Some(id), Some(secret)) =
            (&config.token_url, &config.client_id, &config.client_secret)
        else {
            let message = "`auth.oauth2` needs `token_url`, `client_id` and `client_secret`";
            return Err(failed(message, Outcome::Other));
        };
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        if let Some(scopes) = config.scopes.as_ref().filter(|s| !s.is_empty()) {
            form.append_pair("scope", &scopes.join(" "));
        }
        if let Some(audience) = &config.audience {
            form.append_pair("audience", audience);
        }
        let mut request = client
            .post(url.expose().clone())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        match config.client_auth.unwrap_or_default() {
            OAuth2ClientAuth::Basic => {
                let header =
                    client_basic(id, secret).ok_or_else(|| failed(bad_characters(), Outcome::Other))?;
                request = request.header(AUTHORIZATION, header);
            }
            OAuth2ClientAuth::Post => {
                form.append_pair("client_id", id);
                form.append_pair("client_secret", secret.expose());
            }
        }
        Ok(request.body(form.finish()))
    }
}

/// `client_secret_basic`: id and secret each form-encoded first (RFC 6749 §2.3.1), marked
/// sensitive.
fn client_basic(id: &str, secret: &Secret) -> Option<HeaderValue> {
    let encode = |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(id), encode(secret.expose()));
    let mut header = HeaderValue::from_str(&format!("Basic {}", BASE64_STANDARD.encode(pair))).ok()?;
    header.set_sensitive(true);
    Some(header)
}

fn bad_characters() -> String {
    "`auth.oauth2.client_id` or `client_secret` holds a character a header value may not".to_owned()
}

/// How long before expiry a token of `life` is replaced.
fn early(life: Duration) -> Duration {
    (life / 5).min(EARLY_AT_MOST)
}

/// The token endpoint's refusal: a status the retry policy judges (5xx, 429, 408), else a
/// refusal of the client (bad id or secret, unknown scope) that no retry mends. The message
/// has the status and the RFC 6749 `error` code, never the rest of the body.
fn refused(status: u16, retry_after: Option<RetryAfter>, body: &[u8]) -> TokenError {
    let code = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|answer| answer.get("error")?.as_str().map(str::to_owned))
        .filter(|code| code.len() <= 64 && code.bytes().all(|b| b.is_ascii_graphic()));
    let message = match code {
        Some(code) => format!("OAuth2 token endpoint answered {status} ({code})"),
        None => format!("OAuth2 token endpoint answered {status}"),
    };
    let outcome = match status {
        408 | 429 | 500.. => Outcome::Status {
            code: status,
            retry_after,
        },
        _ => Outcome::Refused,
    };
    failed(message, outcome)
}

/// A token response, as sent.
struct Answer {
    header: HeaderValue,
    expires_in: Option<Duration>,
}

/// Reads a successful token response (RFC 6749 §5.1). Messages never hold the token.
fn parse(body: &[u8]) -> Result<Answer, String> {
    let answer: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the answer is not a JSON token response".to_owned())?;
    let token = answer
        .get("access_token")
        .and_then(serde_json::Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or("the answer has no `access_token`")?;
    let token_type = answer.get("token_type").and_then(serde_json::Value::as_str);
    if token_type.is_some_and(|kind| !kind.eq_ignore_ascii_case("bearer")) {
        return Err("the answer's `token_type` is not `Bearer`".to_owned());
    }
    // A number, or a number in a string as some servers send it.
    let expires_in = answer.get("expires_in").and_then(|value| match value {
        serde_json::Value::String(text) => text.parse::<u64>().ok(),
        other => other.as_u64(),
    });
    let mut header = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| "the `access_token` holds a character a header value may not".to_owned())?;
    header.set_sensitive(true);
    Ok(Answer {
        header,
        expires_in: expires_in.map(Duration::from_secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_replaced_a_fifth_of_its_life_early_at_most_a_minute() {
        assert_eq!(early(Duration::from_secs(10)), Duration::from_secs(2));
        assert_eq!(early(Duration::from_secs(3600)), Duration::from_secs(60));
    }

    #[test]
    fn answers_are_read_without_showing_the_token() {
        let answer =
            parse(br#"{"access_token":"tok3n","token_type":"bearer","expires_in":"30"}"#).expect("valid");
        assert_eq!(answer.header, "Bearer tok3n");
        assert!(answer.header.is_sensitive());
        assert_eq!(answer.expires_in, Some(Duration::from_secs(30)));
        let err = parse(br#"{"access_token":"tok3n","token_type":"mac"}"#)
            .err()
            .unwrap_or_default();
        assert!(err.contains("token_type") && !err.contains("tok3n"), "{err}");
        assert!(parse(b"{}").is_err());
    }

    #[test]
    fn client_credentials_are_form_encoded_before_basic() {
        let header = client_basic("my id", &Secret::new("a:b")).expect("fits");
        let expected = format!("Basic {}", BASE64_STANDARD.encode("my+id:a%3Ab"));
        assert_eq!(header, expected.as_str());
    }

    #[test]
    fn refusals_name_the_status_and_error_code_only() {
        let failure = refused(
            401,
            None,
            br#"{"error":"invalid_client","error_description":"secret s3cret"}"#,
        );
        let message = failure.message;
        assert!(
            message.contains("401 (invalid_client)") && !message.contains("s3cret"),
            "{message}"
        );
        assert!(matches!(failure.outcome, Outcome::Refused));
        let failure = refused(503, None, b"");
        assert!(matches!(failure.outcome, Outcome::Status { code: 503, .. }));
    }
}
