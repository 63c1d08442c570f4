//! Opening a socket: TCP, TLS (rustls on aws-lc-rs) and the upgrade request with the configured
//! headers and credential, each failure described without the URL or a header value.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig as Limits;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream, tungstenite};

use super::WebSocketConfig;
use crate::config::group::{Problem, connect_message};
use crate::protocol::http::credentials;
use crate::protocol::http::oauth2::{TokenError, TokenFailure};
use crate::resilience::retry::{Outcome, RetryAfter};
use crate::{CallError, Headers};

/// An open socket.
pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long one handshake may take when `timeout.connect` is unset.
const DEFAULT_CONNECT: Duration = Duration::from_secs(10);

/// Largest single frame accepted when `max_message_size` is unset (tungstenite's default).
const DEFAULT_FRAME: usize = 16 << 20;

/// Everything needed to open a socket, checked once at connect.
pub(super) struct Handshake {
    /// The URL as tungstenite needs it; it holds no user-info (refused at connect).
    url: String,
    /// `host:port`, for messages.
    target: String,
    host: String,
    port: u16,
    /// `headers`, then the credential headers of `auth` (sent after, so they win over a header
    /// of the same name, as over HTTP and SSE).
    headers: Vec<(HeaderName, HeaderValue)>,
    connector: Connector,
    limits: Limits,
    /// `timeout.connect`, or 10 s.
    pub(super) limit: Duration,
}

impl Handshake {
    /// Checks the URL and headers ([`checked`], as the loader did) and builds the TLS setup.
    ///
    /// # Errors
    /// A message for the connect error, naming the key at fault and never a value.
    pub(super) fn new(config: &WebSocketConfig) -> Result<Self, String> {
        let checked = checked(config).map_err(|problems| connect_message(&problems))?;
        Ok(Handshake {
            url: checked.url,
            target: format!("{}:{}", checked.host, checked.port),
            // rustls and `TcpStream::connect` want an IPv6 address without its brackets.
            host: checked
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: checked.port,
            headers: checked.headers,
            connector: if checked.tls {
                Connector::Rustls(rustls_config()?)
            } else {
                Connector::Plain
            },
            limits: limits(config.max_message_size),
            limit: config.timeout.connect.unwrap_or(DEFAULT_CONNECT),
        })
    }

    /// Opens a socket within `limit`, sending `token` (an OAuth2 token's `Authorization`) when
    /// set.
    pub(super) async fn open_within(
        &self,
        limit: Duration,
        token: Option<&HeaderValue>,
    ) -> Result<Socket, Failure> {
        within(limit, self.open(token)).await
    }

    /// Opens a socket, with no time limit of its own, sending `token` as `Authorization` when
    /// set (it wins over `headers`, as the credential of `auth` does).
    pub(super) async fn open(&self, token: Option<&HeaderValue>) -> Result<Socket, Failure> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| Failure::Connect(format!("cannot connect to {}: {e}", self.target)))?;
        // Small frames (pings, chat messages) go out at once: no Nagle delay.
        let _ = tcp.set_nodelay(true);
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| Failure::Other(format!("invalid handshake request: {}", describe(&e))))?;
        for (name, value) in &self.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        if let Some(token) = token {
            request.headers_mut().insert(AUTHORIZATION, token.clone());
        }
        let span = tracing::info_span!(
            target: "connfx",
            "websocket.handshake",
            otel.name = "GET",
            otel.kind = "client",
            server.address = self.host.as_str(),
            server.port = self.port,
        );
        crate::telemetry::trace_context::inject(&span, request.headers_mut());
        let opened = tokio_tungstenite::client_async_tls_with_config(
            request,
            tcp,
            Some(self.limits),
            Some(self.connector.clone()),
        )
        .await;
        opened
            .map(|(socket, _response)| socket)
            .map_err(|e| Failure::from_handshake(e, &self.target))
    }
}

/// `opening` within `limit`: a late one is a [`Failure::Timeout`].
pub(super) async fn within(
    limit: Duration,
    opening: impl Future<Output = Result<Socket, Failure>>,
) -> Result<Socket, Failure> {
    tokio::time::timeout(limit, opening)
        .await
        .unwrap_or(Err(Failure::Timeout(limit)))
}

/// A failed handshake, described without a secret. Kept by the driver while the connection is
/// down, so it is plain data.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Failure {
    /// No TCP connection, or it broke during the upgrade: nothing reached the application.
    Connect(String),
    /// No open socket within the limit.
    Timeout(Duration),
    /// The server answered the upgrade with an HTTP status.
    Status {
        code: u16,
        text: String,
        retry_after: Option<RetryAfter>,
    },
    /// Anything a retry cannot fix: a certificate the client does not trust, a broken answer.
    Other(String),
    /// No OAuth2 token (`auth.oauth2`) could be had, so no handshake was made; `outcome` is
    /// the token request's, for the retry rules to judge as they judge a handshake's.
    Token { message: String, outcome: Outcome },
}

/// An upgrade refused with 401 had its token refused; a token that could not be had is
/// [`Failure::Token`].
impl TokenFailure for Failure {
    fn refused(&self) -> bool {
        matches!(self, Failure::Status { code: 401, .. })
    }

    fn no_token(error: TokenError, _connection: &str) -> Self {
        Failure::Token {
            message: error.message,
            outcome: error.outcome,
        }
    }
}

impl Failure {
    fn from_handshake(err: tungstenite::Error, target: &str) -> Self {
        match err {
            tungstenite::Error::Http(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(RetryAfter::parse);
                Failure::Status {
                    code: status.as_u16(),
                    text: status.to_string(),
                    retry_after,
                }
            }
            // Certificates the client rejects come as `InvalidData`; a retry cannot fix them.
            tungstenite::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                Failure::Other(format!("TLS handshake with {target} failed: {e}"))
            }
            tungstenite::Error::Io(e) => {
                Failure::Connect(format!("connection to {target} broke during the handshake: {e}"))
            }
            other => Failure::Other(format!("handshake with {target} failed: {}", describe(&other))),
        }
    }

    /// The failure as the retry rules see it.
    pub(super) fn outcome(&self) -> Outcome {
        match self {
            Failure::Connect(_) => Outcome::Connect,
            Failure::Timeout(_) => Outcome::Timeout { sent: false },
            Failure::Status {
                code, retry_after, ..
            } => Outcome::Status {
                code: *code,
                retry_after: *retry_after,
            },
            Failure::Other(_) => Outcome::Other,
            Failure::Token { outcome, .. } => *outcome,
        }
    }

    /// The failure as a call's error.
    pub(super) fn to_call_error(&self, connection: &str) -> CallError {
        let connection = connection.to_owned();
        match self {
            Failure::Timeout(after) => CallError::Timeout {
                connection,
                after: *after,
            },
            Failure::Status { code, text, .. } => CallError::Status {
                connection,
                code: *code,
                body: format!("WebSocket upgrade refused: {text}"),
            },
            Failure::Connect(message) | Failure::Other(message) | Failure::Token { message, .. } => {
                CallError::Transport {
                    connection,
                    message: message.clone(),
                }
            }
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Connect(message) | Failure::Other(message) | Failure::Token { message, .. } => {
                f.write_str(message)
            }
            Failure::Timeout(after) => {
                write!(f, "no open socket within {}", humantime::format_duration(*after))
            }
            Failure::Status { text, .. } => write!(f, "upgrade refused: {text}"),
        }
    }
}

/// tungstenite's message; its errors hold neither the URL nor header values.
pub(super) fn describe(err: &tungstenite::Error) -> String {
    err.to_string()
}

/// The handshake headers; credential-like ones are marked sensitive so `http`'s `Debug` hides
/// them.
fn headers(headers: &Headers) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    headers
        .0
        .iter()
        .map(|(name, value)| crate::protocol::header::parse(name, value, Headers::is_sensitive(name)))
        .collect()
}

/// The URL and headers (those of `headers`, then those of `auth`) of a handshake, checked
/// without the network.
struct Checked {
    url: String,
    host: String,
    port: u16,
    tls: bool,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// The URL (one of the protocol's schemes, no user-info, a host and a port), the headers and
/// the credential headers of `auth` (bearer, basic or API key; an OAuth2 token is added per
/// handshake): what the loader runs as the protocol's declared check ([`check_websocket`])
/// and `connect` runs again to build the handshake.
///
/// # Errors
/// Every problem at its key (`url`, `headers`, `auth`), never quoting a value.
fn checked(config: &WebSocketConfig) -> Result<Checked, Vec<Problem>> {
    let url = target(config.url.expose()).map_err(|m| Problem::at("url", m));
    let headers = headers(&config.headers).map_err(|m| Problem::at("headers", m));
    let credentials =
        credentials::auth_headers(&config.auth, config.url.expose()).map_err(|m| Problem::at("auth", m));
    match (url, headers, credentials) {
        (Ok((url, host, port)), Ok(mut headers), Ok(credentials)) => Ok(Checked {
            tls: url.scheme() == "wss",
            url: url.into(),
            host,
            port,
            headers: {
                headers.extend(credentials);
                headers
            },
        }),
        (url, headers, credentials) => Err(url
            .err()
            .into_iter()
            .chain(headers.err())
            .chain(credentials.err())
            .collect()),
    }
}

/// The URL without its fragment, its host and its port.
fn target(url: &url::Url) -> Result<(url::Url, String, u16), String> {
    crate::protocol::handle::check_scheme::<super::WebSocketConnection>(url)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("`url` holds user-info; send credentials in `auth` (or `headers`)".to_owned());
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("`url` has no host")?
        .to_owned();
    let port = url.port_or_known_default().ok_or("`url` has no port")?;
    let mut url = url.clone();
    url.set_fragment(None);
    Ok((url, host, port))
}

/// The protocol's declared check (`check [check_websocket]` in `connfx-spec`): [`checked`]'s
/// problems, those of `auth` left to the `auth` group's own check.
pub(super) fn check_websocket(config: &WebSocketConfig) -> Vec<Problem> {
    let problems = checked(config).err().unwrap_or_default();
    problems.into_iter().filter(|p| p.key != "auth").collect()
}

/// The TLS setup of every `wss` connection: no setting changes it, so it is built once and
/// shared rather than copying the root store into every connection.
fn rustls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> =
        std::sync::OnceLock::new();
    CONFIG.get_or_init(new_rustls_config).clone()
}

/// rustls with the aws-lc-rs provider named explicitly (never ring, and no reliance on a
/// process-wide default), trusting the Mozilla roots of `webpki-roots`.
fn new_rustls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// tungstenite's limits with `max_message_size` applied (a frame is never allowed to be larger
/// than a message).
fn limits(max_message_size: Option<u64>) -> Limits {
    let Some(max) = max_message_size else {
        return Limits::default();
    };
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    Limits::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max.min(DEFAULT_FRAME)))
}
