//! The stream's URL and [`reqwest::Client`], built once at connect from the [`SseConfig`].

use std::sync::Arc;

use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::SseConfig;
use crate::Headers;
use crate::protocol::http::client::{USER_AGENT, header_list};
use crate::protocol::http::credentials;
use crate::protocol::http::shared_client::{self, ClientSettings};

/// The stream's URL without user-info (reqwest never sees a URL credential, so none can end
/// up in one of its messages) and the client that carries headers, auth and timeouts.
pub(super) struct Built {
    pub(super) url: Url,
    /// Shared with every live connection of the same settings (see `http::shared_client`).
    pub(super) client: Arc<reqwest::Client>,
}

/// Builds the URL and client.
///
/// # Errors
/// A message for the connect error, naming the key at fault and never a secret.
pub(super) fn build(config: &SseConfig) -> Result<Built, String> {
    let url = url(config)?;
    let settings = ClientSettings {
        user_agent: HeaderValue::from_static(USER_AGENT),
        headers: header_list(headers(config)?),
        pool_max_idle_per_host: None,
        pool_idle_timeout: None,
        connect_timeout: config.timeout.connect,
        timeout: None,
        read_timeout: config.read_timeout,
        tls: Default::default(),
    };
    let client = shared_client::client(settings)?;
    Ok(Built { url, client })
}

fn url(config: &SseConfig) -> Result<Url, String> {
    let schemes = <super::SseConnection as crate::Connection>::URL_SCHEMES;
    if !schemes.contains(&config.url.scheme()) {
        return Err(connfx_spec::message::scheme_mismatch(
            "sse",
            config.url.scheme(),
            schemes,
        ));
    }
    if config.url.expose().host_str().is_none_or(str::is_empty) {
        return Err("`url` has no host".to_owned());
    }
    let mut url = config.url.expose().clone();
    // Only fails for URLs that cannot carry credentials, and an http(s) URL with a host can.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    Ok(url)
}

/// `Accept: text/event-stream`, `Cache-Control: no-store`, then `headers`, then the credential
/// headers (which win over a header of the same name), credential-like ones marked sensitive.
fn headers(config: &SseConfig) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::with_capacity(config.headers.0.len() + 3);
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in &config.headers.0 {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`headers`: `{name}` is not a valid header name"))?;
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            format!("`headers`: the value of `{name}` holds a character a header value may not")
        })?;
        value.set_sensitive(Headers::is_sensitive(name));
        headers.insert(header, value);
    }
    for (name, value) in credentials::auth_headers(&config.auth, config.url.expose())? {
        headers.insert(name, value);
    }
    Ok(headers)
}
