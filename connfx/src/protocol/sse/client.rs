//! The stream's URL and [`reqwest::Client`], built once at connect from the [`SseConfig`].

use std::sync::Arc;

use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap, HeaderValue};
use url::Url;

use super::SseConfig;
use crate::Headers;
use crate::config::group::{Problem, connect_message};
use crate::protocol::http::client::{USER_AGENT, header_list};
use crate::protocol::http::shared_client::{self, ClientSettings};
use crate::protocol::http::{credentials, target};

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
    let (url, headers) = prepare(config).map_err(|problems| connect_message(&problems))?;
    let settings = ClientSettings {
        user_agent: HeaderValue::from_static(USER_AGENT),
        headers: header_list(headers),
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

/// The stream's URL and headers, checked without the network: what the loader runs as the
/// protocol's declared check ([`check_sse`]) and `connect` runs again to build the client.
///
/// # Errors
/// Every problem at its key (`url`, `headers`, `auth`), never quoting a value.
fn prepare(config: &SseConfig) -> Result<(Url, HeaderMap), Vec<Problem>> {
    let url = target::base::<super::SseConnection>(&config.url).map_err(|m| Problem::at("url", m));
    match (url, headers(config)) {
        (Ok(url), Ok(headers)) => Ok((url, headers)),
        (url, headers) => Err(url.err().into_iter().chain(headers.err()).collect()),
    }
}

/// The protocol's declared check (`check [check_sse]` in `connfx-spec`): [`prepare`]'s
/// problems, those of `auth` left to the `auth` group's own check.
pub(super) fn check_sse(config: &SseConfig) -> Vec<Problem> {
    let problems = prepare(config).err().unwrap_or_default();
    problems.into_iter().filter(|p| p.key != "auth").collect()
}

/// `Accept: text/event-stream`, `Cache-Control: no-store`, then `headers`, then the credential
/// headers (which win over a header of the same name), credential-like ones marked sensitive.
fn headers(config: &SseConfig) -> Result<HeaderMap, Problem> {
    let mut headers = HeaderMap::with_capacity(config.headers.0.len() + 3);
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in &config.headers.0 {
        let (header, value) = crate::protocol::header::parse(name, value, Headers::is_sensitive(name))
            .map_err(|m| Problem::at("headers", m))?;
        headers.insert(header, value);
    }
    let credentials =
        credentials::auth_headers(&config.auth, config.url.expose()).map_err(|m| Problem::at("auth", m))?;
    for (name, value) in credentials {
        headers.insert(name, value);
    }
    Ok(headers)
}
