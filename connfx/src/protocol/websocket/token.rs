//! `auth.oauth2` on the opening handshake: the connection's OAuth2 token (the HTTP protocol's
//! token source), asked for before a handshake when none is kept, sent as `Authorization`, and
//! asked for again once when the server refuses the upgrade with 401.

use std::sync::Arc;

use reqwest::header::HeaderValue;

use super::WebSocketConfig;
use super::handshake::{Failure, Handshake, Socket};
use crate::protocol::http::client::USER_AGENT;
use crate::protocol::http::oauth2::TokenSource;
use crate::protocol::http::shared_client::{self, ClientSettings};

/// The token of one connection and the client its token requests go out on.
pub(super) struct OAuth2 {
    /// One for the connection: every socket and every reconnect sends the token it keeps, and
    /// a reload that leaves `auth.oauth2` as it is keeps it too.
    pub(super) tokens: Arc<TokenSource>,
    /// For the token requests only (the sockets are tungstenite's), shared with every
    /// connection of the same settings.
    client: Arc<reqwest::Client>,
}

impl OAuth2 {
    /// The token of `config.auth.oauth2`, if set: `before`'s when that was made from the same
    /// `auth.oauth2` ([`TokenSource::kept_or_new`]), else a new source that asks for its first
    /// token at the next handshake.
    ///
    /// # Errors
    /// A message for the connect error when the token requests' client cannot be built.
    pub(super) fn new(config: &WebSocketConfig, before: Option<&OAuth2>) -> Result<Option<Self>, String> {
        let kept = before.map(|before| &before.tokens);
        let Some(tokens) = TokenSource::kept_or_new(config.auth.oauth2.as_ref(), kept) else {
            return Ok(None);
        };
        let client = shared_client::client(ClientSettings {
            user_agent: HeaderValue::from_static(USER_AGENT),
            headers: Vec::new(),
            pool_max_idle_per_host: None,
            pool_idle_timeout: None,
            connect_timeout: config.timeout.connect,
            timeout: None,
            read_timeout: None,
            tls: Default::default(),
        })?;
        Ok(Some(OAuth2 { tokens, client }))
    }

    /// One handshake with the kept token (a new one asked for first when none is fresh); an
    /// upgrade refused with 401 gets one new token and one more handshake. A token that cannot
    /// be had is the handshake's failure ([`Failure::Token`]), retried as the handshake's would be.
    pub(super) async fn open(&self, handshake: &Handshake, connection: &str) -> Result<Socket, Failure> {
        let send = |token: HeaderValue| async move { handshake.open(Some(&token)).await };
        self.tokens
            .with_token(&*self.client, connection, send, || true)
            .await
    }
}
