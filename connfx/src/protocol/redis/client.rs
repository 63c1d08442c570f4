//! From a [`RedisConfig`] to a `redis::Client` and the settings of its connection managers.

use std::time::Duration;

use redis::aio::ConnectionManagerConfig;
use redis::{Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, TlsCertificates};

use super::RedisConfig;
use crate::TlsConfig;
use crate::config::group::{Problem, connect_message};
use crate::settings::tls::read_files;

/// Connect timeout when `timeout.connect` is unset (the redis crate's own default).
pub(super) const DEFAULT_CONNECT: Duration = Duration::from_secs(1);

/// The client for `config`: URL, password and database resolved ([`info`], as the loader
/// checked them), TLS files read ([`read_files`], as the loader read them). No I/O but reading
/// the TLS files.
///
/// # Errors
/// What is wrong with the settings, never quoting the URL (it may hold a password).
pub(super) fn build(config: &RedisConfig) -> Result<Client, String> {
    let info = info(config).map_err(|problems| connect_message(&problems))?;
    let tls = &config.tls;
    if !matches!(info.addr(), ConnectionAddr::TcpTls { .. }) {
        return Client::open(info).map_err(|e| format!("invalid Redis settings: {e}"));
    }
    let info = if tls.accept_invalid_certs {
        insecure(info)
    } else {
        info
    };
    Client::build_with_tls(info, certificates(tls)?).map_err(|e| format!("invalid TLS settings: {e}"))
}

/// The connection info of `config`: a Redis URL the redis crate reads, with `password` and
/// `database` over the URL's, and `tls` settings only with `rediss://`. What the loader runs as
/// the protocol's declared check ([`check_redis`]) and `connect` runs again.
///
/// # Errors
/// Every problem at its key (`url`, `tls`), never quoting the URL.
fn info(config: &RedisConfig) -> Result<ConnectionInfo, Vec<Problem>> {
    let url = config.url.expose();
    if !matches!(url.scheme(), "redis" | "rediss") {
        let message = format!(
            "URL scheme `{}` is not a Redis scheme; expected `redis` or `rediss`",
            url.scheme()
        );
        return Err(vec![Problem::at("url", message)]);
    }
    let info = url
        .clone()
        .into_connection_info()
        .map_err(|e| vec![Problem::at("url", format!("invalid Redis URL: {e}"))])?;
    let info = with_credentials(info, config);
    let uses_tls = matches!(info.addr(), ConnectionAddr::TcpTls { .. });
    if !uses_tls && config.tls != TlsConfig::default() {
        return Err(vec![Problem::at("tls", "`tls` settings need a `rediss://` URL")]);
    }
    Ok(info)
}

/// The protocol's declared check (`check [check_redis]` in `connfx-spec`).
pub(super) fn check_redis(config: &RedisConfig) -> Vec<Problem> {
    info(config).err().unwrap_or_default()
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
    let files = read_files(tls).map_err(|problems| connect_message(&problems))?;
    Ok(TlsCertificates {
        client_tls: files.identity.map(|identity| redis::ClientTlsConfig {
            client_cert: identity.cert,
            client_key: identity.key,
        }),
        root_cert: files.ca.map(|(_, pem)| pem),
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
