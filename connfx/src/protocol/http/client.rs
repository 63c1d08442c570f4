//! The [`reqwest::Client`] of a connection, built from its [`HttpConfig`].

use std::fs;
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::shared_client::{self, ClientSettings, TlsFiles};
use super::{HttpConfig, credentials};
use crate::{Headers, TlsConfig};

/// The default `User-Agent`.
pub(crate) const USER_AGENT: &str = concat!("connfx/", env!("CARGO_PKG_VERSION"));

/// A connection's client, and the credential headers it sends only to its base URL's origin.
pub(super) struct Built {
    /// Shared with every live connection of the same transport settings (see `shared_client`).
    pub(super) client: Arc<reqwest::Client>,
    /// Empty unless `per_host`: a single-host connection's client carries its credentials as
    /// default headers, since every request it makes goes to the base URL's origin.
    pub(super) origin_credentials: HeaderMap,
}

/// The client: user agent, default headers and auth, connect timeout, pool, TLS.
///
/// # Errors
/// A message for the connect error, naming the key or file at fault and never a secret.
pub(super) fn build(name: &str, config: &HttpConfig) -> Result<Built, String> {
    warn_ignored(name, config);
    let (defaults, origin_credentials) = default_headers(config)?;
    let user_agent = config.user_agent.as_deref().unwrap_or(USER_AGENT);
    let user_agent = HeaderValue::from_str(user_agent)
        .map_err(|_| "`user_agent` holds a character a header value may not".to_owned())?;
    let settings = ClientSettings {
        user_agent,
        headers: header_list(defaults),
        pool_max_idle_per_host: config.pool.max_size,
        pool_idle_timeout: Some(config.pool.idle_timeout),
        connect_timeout: config.timeout.connect,
        // `per_attempt` also bounds requests made with `client()` directly. The total is the
        // stack's deadline, not reqwest's: it spans retries and waits.
        timeout: config.timeout.per_attempt,
        read_timeout: None,
        tls: tls_files(name, &config.tls)?,
    };
    Ok(Built {
        client: shared_client::client(settings)?,
        origin_credentials,
    })
}

/// A header map as the ordered list a [`ClientSettings`] keys on.
pub(crate) fn header_list(headers: HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    let mut name = None;
    let mut list = Vec::with_capacity(headers.len());
    for (next, value) in headers {
        // `into_iter` names a header once, before the first of its values.
        if next.is_some() {
            name = next;
        }
        if let Some(name) = &name {
            list.push((name.clone(), value));
        }
    }
    list
}

/// `headers`, then the credential headers (which win over a header of the same name): all as
/// the client's default headers, or, for a `per_host` connection, the credentials and
/// credential-like `headers` apart, to be sent to the base URL's origin only.
fn default_headers(config: &HttpConfig) -> Result<(HeaderMap, HeaderMap), String> {
    let mut headers = HeaderMap::with_capacity(config.headers.0.len() + 1);
    let mut origin_only = HeaderMap::new();
    for (name, value) in &config.headers.0 {
        let sensitive = Headers::is_sensitive(name);
        let (header, value) = crate::protocol::header::parse(name, value, sensitive)?;
        if sensitive && config.per_host {
            origin_only.append(header, value);
        } else {
            headers.append(header, value);
        }
    }
    let target = if config.per_host {
        &mut origin_only
    } else {
        &mut headers
    };
    for (name, value) in credentials::headers(config)? {
        target.insert(name, value);
    }
    Ok((headers, origin_only))
}

/// The TLS files, read now: the client is chosen by their contents, so a file changed since
/// another connection was made gives a new client.
fn tls_files(name: &str, tls: &TlsConfig) -> Result<TlsFiles, String> {
    let ca = match &tls.ca_file {
        Some(path) => Some((path.clone(), read("tls.ca_file", path)?)),
        None => None,
    };
    let identity = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let mut pem = read("tls.cert_file", cert)?;
            pem.push(b'\n');
            pem.extend(read("tls.key_file", key)?);
            Some((cert.clone(), key.clone(), pem))
        }
        (None, None) => None,
        _ => return Err("`tls.cert_file` and `tls.key_file` go together; set both or neither".to_owned()),
    };
    if tls.accept_invalid_certs {
        tracing::warn!(
            connection = name,
            "`tls.accept_invalid_certs`: any server certificate is accepted"
        );
    }
    Ok(TlsFiles {
        ca,
        identity,
        accept_invalid_certs: tls.accept_invalid_certs,
    })
}

fn read(key: &str, path: &str) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("`{key}` {path}: cannot read it: {e}"))
}

/// Pool settings reqwest has no equivalent for.
fn warn_ignored(name: &str, config: &HttpConfig) {
    for key in config.pool.ignored_keys() {
        tracing::warn!(
            connection = name,
            key,
            "setting has no effect on HTTP connections"
        );
    }
}
