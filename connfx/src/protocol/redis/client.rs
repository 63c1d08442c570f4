//! From a [`RedisConfig`] to a `redis::Client` and the settings of its connection managers.

use std::time::Duration;

use redis::aio::ConnectionManagerConfig;
use redis::{Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, TlsCertificates};

use super::RedisConfig;
use crate::TlsConfig;

/// Connect timeout when `timeout.connect` is unset (the redis crate's own default).
pub(super) const DEFAULT_CONNECT: Duration = Duration::from_secs(1);

/// The client for `config`: URL, password and database resolved, TLS files read. No I/O but
/// reading the TLS files.
///
/// # Errors
/// What is wrong with the settings, never quoting the URL (it may hold a password).
pub(super) fn build(config: &RedisConfig) -> Result<Client, String> {
    let url = config.url.expose();
    if !matches!(url.scheme(), "redis" | "rediss") {
        return Err(format!(
            "URL scheme `{}` is not a Redis scheme; expected `redis` or `rediss`",
            url.scheme()
        ));
    }
    let info = url
        .clone()
        .into_connection_info()
        .map_err(|e| format!("invalid Redis URL: {e}"))?;
    let info = with_credentials(info, config);
    let tls = &config.tls;
    let uses_tls = matches!(info.addr(), ConnectionAddr::TcpTls { .. });
    if !uses_tls && *tls != TlsConfig::default() {
        return Err("`tls` settings need a `rediss://` URL".to_owned());
    }
    if !uses_tls {
        return Client::open(info).map_err(|e| format!("invalid Redis settings: {e}"));
    }
    let info = if tls.accept_invalid_certs {
        insecure(info)
    } else {
        info
    };
    Client::build_with_tls(info, certificates(tls)?).map_err(|e| format!("invalid TLS settings: {e}"))
}

/// The `password` and `database` keys, over what the URL says.
fn with_credentials(info: ConnectionInfo, config: &RedisConfig) -> ConnectionInfo {
    let mut redis = info.redis_settings().clone();
    if let Some(password) = &config.password {
        redis = redis.set_password(password.expose());
    }
    if let Some(database) = config.database {
        redis = redis.set_db(i64::from(database));
    }
    info.set_redis_settings(redis)
}

/// `tls.accept_invalid_certs`: no certificate or host name check.
fn insecure(info: ConnectionInfo) -> ConnectionInfo {
    match info.addr().clone() {
        ConnectionAddr::TcpTls {
            host,
            port,
            tls_params,
            ..
        } => info.set_addr(ConnectionAddr::TcpTls {
            host,
            port,
            insecure: true,
            tls_params,
        }),
        _ => info,
    }
}

/// The trust roots and client certificate of `tls`, read from their files.
fn certificates(tls: &TlsConfig) -> Result<TlsCertificates, String> {
    let read = |key: &str, path: &str| {
        std::fs::read(path).map_err(|e| format!("cannot read `tls.{key}` file {path}: {e}"))
    };
    let root_cert = tls
        .ca_file
        .as_deref()
        .map(|path| read("ca_file", path))
        .transpose()?;
    let client_tls = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => Some(redis::ClientTlsConfig {
            client_cert: read("cert_file", cert)?,
            client_key: read("key_file", key)?,
        }),
        (None, None) => None,
        _ => return Err("`tls.cert_file` and `tls.key_file` go together".to_owned()),
    };
    Ok(TlsCertificates {
        client_tls,
        root_cert,
    })
}

/// The settings of each connection manager. It makes one connect attempt per call that needs
/// one (no reconnect loop of its own: the retry policy decides about tries), and sets no
/// response timeout (the per-attempt limit is applied around each try instead, so a timeout
/// names the limit that fired).
pub(super) fn manager_config(config: &RedisConfig) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_number_of_retries(0)
        .set_connection_timeout(Some(connect_timeout(config)))
        .set_response_timeout(None)
}

/// `timeout.connect`, or [`DEFAULT_CONNECT`].
pub(super) fn connect_timeout(config: &RedisConfig) -> Duration {
    config.timeout.connect.unwrap_or(DEFAULT_CONNECT)
}
