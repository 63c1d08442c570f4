//! One [`reqwest::Client`] for every set of connections with the same transport settings.
//!
//! Building a client is the costly part of connecting (about 2.8 ms and 100 KiB: TLS
//! verifier, root store, connector, pool): a registry of 1,000 HTTP targets that built one each
//! took 2.8 s and 115 KiB per connection. Connections whose settings are equal get the same
//! client, and so also share its idle connections to the same host.
//!
//! The cache is process-wide, keyed by everything that goes into the `ClientBuilder`, and holds
//! the clients weakly: a client lives as long as a connection holds it, so closing and dropping
//! connections frees their clients as it did when each had its own. Process-wide rather than per
//! registry, because connections made outside a registry (`HttpConnection::connect`, SSE, a
//! reload's new connection beside the old one) benefit the same way, and nothing in a client is
//! private to one registry: two connections with equal settings would build equal clients.
//! TLS files are keyed by their contents as well as their paths, so a rotated certificate
//! builds a new client instead of reusing one made from the old file.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Certificate, ClientBuilder, Identity};

use super::transport;
pub(crate) use crate::settings::tls::TlsFiles;

/// Everything a client is built from. Holds header values (credentials among them) and TLS
/// key material, so it has no `Debug` and is never logged.
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct ClientSettings {
    pub(crate) user_agent: HeaderValue,
    /// The client's default headers, in order (credential-like ones marked sensitive).
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    /// Idle connections kept per host; `None` keeps all (reqwest's default).
    pub(crate) pool_max_idle_per_host: Option<u32>,
    /// `None`: reqwest's default (90 s).
    pub(crate) pool_idle_timeout: Option<Duration>,
    pub(crate) connect_timeout: Option<Duration>,
    /// reqwest's whole-request timeout.
    pub(crate) timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) tls: TlsFiles,
}

/// Live clients by their settings.
static CLIENTS: LazyLock<Mutex<HashMap<ClientSettings, Weak<reqwest::Client>>>> =
    LazyLock::new(Mutex::default);

/// The client for `settings`: the one a live connection already uses, or a new one.
///
/// The lock is held while a client is built, so connections connecting at once with the same
/// settings build it once.
///
/// # Errors
/// A message for the connect error, naming the key or file at fault and never a secret.
pub(crate) fn client(settings: ClientSettings) -> Result<Arc<reqwest::Client>, String> {
    let mut clients = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(client) = clients.get(&settings).and_then(Weak::upgrade) {
        return Ok(client);
    }
    // Entries of dropped clients go on a miss: a miss builds a client, which costs far more
    // than a pass over the map.
    clients.retain(|_, client| client.strong_count() > 0);
    let client = Arc::new(build(&settings)?);
    clients.insert(settings, Arc::downgrade(&client));
    Ok(client)
}

fn build(settings: &ClientSettings) -> Result<reqwest::Client, String> {
    let headers: HeaderMap = settings.headers.iter().cloned().collect();
    let mut builder = reqwest::Client::builder()
        .user_agent(settings.user_agent.clone())
        .default_headers(headers);
    if let Some(max) = settings.pool_max_idle_per_host {
        builder = builder.pool_max_idle_per_host(max as usize);
    }
    if let Some(idle) = settings.pool_idle_timeout {
        builder = builder.pool_idle_timeout(idle);
    }
    if let Some(connect) = settings.connect_timeout {
        builder = builder.connect_timeout(connect);
    }
    if let Some(limit) = settings.timeout {
        builder = builder.timeout(limit);
    }
    if let Some(silence) = settings.read_timeout {
        builder = builder.read_timeout(silence);
    }
    tls(builder, &settings.tls)?
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", transport::describe(e)))
}

/// Extra CA roots (merged with the platform's), the client certificate, `accept_invalid_certs`.
fn tls(mut builder: ClientBuilder, tls: &TlsFiles) -> Result<ClientBuilder, String> {
    if let Some((path, pem)) = &tls.ca {
        let certs = Certificate::from_pem_bundle(pem)
            .map_err(|_| format!("`tls.ca_file` {path}: not a PEM file of certificates"))?;
        if certs.is_empty() {
            return Err(format!("`tls.ca_file` {path}: holds no PEM certificate"));
        }
        builder = builder.tls_certs_merge(certs);
    }
    if let Some(files) = &tls.identity {
        let identity = Identity::from_pem(&files.joined()).map_err(|e| {
            let reason = transport::describe(e);
            format!(
                "`tls.cert_file` {} with `tls.key_file` {}: not a PEM certificate and key ({reason})",
                files.cert_path, files.key_path
            )
        })?;
        builder = builder.identity(identity);
    }
    Ok(builder.tls_danger_accept_invalid_certs(tls.accept_invalid_certs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(agent: &'static str) -> ClientSettings {
        ClientSettings {
            user_agent: HeaderValue::from_static(agent),
            headers: vec![],
            pool_max_idle_per_host: None,
            pool_idle_timeout: None,
            connect_timeout: None,
            timeout: None,
            read_timeout: None,
            tls: TlsFiles::default(),
        }
    }

    #[test]
    fn equal_settings_share_a_client_while_one_lives() {
        let first = client(settings("shared-test/1")).expect("a client");
        let second = client(settings("shared-test/1")).expect("a client");
        assert!(Arc::ptr_eq(&first, &second));
        let other = client(settings("shared-test/2")).expect("a client");
        assert!(!Arc::ptr_eq(&first, &other));
    }

    #[test]
    fn a_dropped_client_is_not_kept() {
        let first = client(settings("dropped-test/1")).expect("a client");
        let weak = Arc::downgrade(&first);
        drop(first);
        assert!(weak.upgrade().is_none(), "the cache holds no strong reference");
        let again = client(settings("dropped-test/1")).expect("a new client");
        assert_eq!(Arc::strong_count(&again), 1, "held by the caller alone");
    }

    #[tokio::test]
    async fn connections_with_equal_transport_settings_share_their_client() {
        use crate::{Connection, HttpConfig, HttpConnection};
        let connect = |name: &'static str, json: serde_json::Value| async move {
            let config: HttpConfig = serde_json::from_value(json).expect("a valid config");
            HttpConnection::connect(name, config).await.expect("connects")
        };
        let a = connect("a", serde_json::json!({"url": "http://127.0.0.1:1/a"})).await;
        let b = connect(
            "b",
            serde_json::json!({"url": "http://127.0.0.1:2/b", "retry": {}}),
        )
        .await;
        let other = connect(
            "other",
            serde_json::json!({"url": "http://127.0.0.1:1/a", "user_agent": "other/1"}),
        )
        .await;
        assert!(
            std::ptr::eq(a.live().client(), b.live().client()),
            "URL and policies are not transport settings"
        );
        assert!(!std::ptr::eq(a.live().client(), other.live().client()));
    }

    #[test]
    fn a_bad_ca_file_is_named_and_not_cached() {
        let mut bad = settings("bad-ca-test/1");
        bad.tls.ca = Some(("ca.pem".to_owned(), b"not a certificate".to_vec()));
        let err = client(bad).expect_err("an error");
        assert!(err.contains("`tls.ca_file` ca.pem"), "{err}");
    }
}
