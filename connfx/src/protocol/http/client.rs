//! The [`reqwest::Client`] of a connection, built from its [`HttpConfig`].

use std::fs;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Certificate, ClientBuilder, Identity};

use super::{HttpConfig, credentials, transport};
use crate::{Headers, TlsConfig};

/// The default `User-Agent`.
const USER_AGENT: &str = concat!("connfx/", env!("CARGO_PKG_VERSION"));

/// A connection's client, and the credential headers it sends only to its base URL's origin.
pub(super) struct Built {
    pub(super) client: reqwest::Client,
    /// Empty unless `per_host`: a single-host connection's client carries its credentials as
    /// default headers, since every request it makes goes to the base URL's origin.
    pub(super) origin_credentials: HeaderMap,
}

/// Builds the client: user agent, default headers and auth, connect timeout, pool, TLS.
///
/// # Errors
/// A message for the connect error, naming the key or file at fault and never a secret.
pub(super) fn build(name: &str, config: &HttpConfig) -> Result<Built, String> {
    warn_ignored(name, config);
    let (defaults, origin_credentials) = default_headers(config)?;
    let user_agent = config.user_agent.as_deref().unwrap_or(USER_AGENT);
    let user_agent = HeaderValue::from_str(user_agent)
        .map_err(|_| "`user_agent` holds a character a header value may not".to_owned())?;
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .default_headers(defaults)
        .pool_max_idle_per_host(config.pool.max_size as usize)
        .pool_idle_timeout(config.pool.idle_timeout);
    if let Some(connect) = config.timeout.connect {
        builder = builder.connect_timeout(connect);
    }
    // `per_attempt` also bounds requests made with `client()` directly. The total is the
    // pipeline's deadline, not reqwest's: it spans retries and waits.
    if let Some(limit) = config.timeout.per_attempt {
        builder = builder.timeout(limit);
    }
    let client = tls(name, builder, &config.tls)?
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", transport::describe(e)))?;
    Ok(Built {
        client,
        origin_credentials,
    })
}

/// `headers`, then the credential headers (which win over a header of the same name): all as
/// the client's default headers, or, for a `per_host` connection, the credentials and
/// credential-like `headers` apart, to be sent to the base URL's origin only.
fn default_headers(config: &HttpConfig) -> Result<(HeaderMap, HeaderMap), String> {
    let mut headers = HeaderMap::with_capacity(config.headers.0.len() + 1);
    let mut origin_only = HeaderMap::new();
    for (name, value) in &config.headers.0 {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`headers`: `{name}` is not a valid header name"))?;
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            format!("`headers`: the value of `{name}` holds a character a header value may not")
        })?;
        let sensitive = Headers::is_sensitive(name);
        value.set_sensitive(sensitive);
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

/// Extra CA roots (merged with the platform's), the client certificate, `accept_invalid_certs`.
fn tls(name: &str, mut builder: ClientBuilder, tls: &TlsConfig) -> Result<ClientBuilder, String> {
    if let Some(path) = &tls.ca_file {
        let certs = Certificate::from_pem_bundle(&read("tls.ca_file", path)?)
            .map_err(|_| format!("`tls.ca_file` {path}: not a PEM file of certificates"))?;
        if certs.is_empty() {
            return Err(format!("`tls.ca_file` {path}: holds no PEM certificate"));
        }
        builder = builder.tls_certs_merge(certs);
    }
    match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => builder = builder.identity(identity(cert, key)?),
        (None, None) => {}
        _ => return Err("`tls.cert_file` and `tls.key_file` go together; set both or neither".to_owned()),
    }
    if tls.accept_invalid_certs {
        tracing::warn!(
            connection = name,
            "`tls.accept_invalid_certs`: any server certificate is accepted"
        );
    }
    Ok(builder.tls_danger_accept_invalid_certs(tls.accept_invalid_certs))
}

/// The client certificate chain and its private key, both PEM.
fn identity(cert_path: &str, key_path: &str) -> Result<Identity, String> {
    let mut pem = read("tls.cert_file", cert_path)?;
    pem.push(b'\n');
    pem.extend(read("tls.key_file", key_path)?);
    Identity::from_pem(&pem).map_err(|e| {
        let reason = transport::describe(e);
        format!("`tls.cert_file` {cert_path} with `tls.key_file` {key_path}: not a PEM certificate and key ({reason})")
    })
}

fn read(key: &str, path: &str) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("`{key}` {path}: cannot read it: {e}"))
}

/// Pool settings reqwest has no equivalent for.
fn warn_ignored(name: &str, config: &HttpConfig) {
    let pool = &config.pool;
    let ignored = [
        ("pool.min_idle", pool.min_idle > 0),
        ("pool.max_lifetime", pool.max_lifetime.is_some()),
    ];
    for (key, _) in ignored.iter().filter(|(_, set)| *set) {
        tracing::warn!(
            connection = name,
            key,
            "setting has no effect on HTTP connections"
        );
    }
}
