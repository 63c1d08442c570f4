//! The [`reqwest::Client`] of a connection, built from its [`HttpConfig`].

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::hosts::HostRequest;
use super::shared_client::{self, ClientSettings};
use super::{HttpConfig, credentials, target};
use crate::config::group::{Problem, connect_message};
use crate::config::shape::join;
use crate::resilience::stack::ByHost;
use crate::settings::tls::{TlsFiles, read_files};
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
    /// The base URL, without user-info or fragment.
    pub(super) base: Url,
    /// What the health check requests: `health.path` joined onto the base URL.
    pub(super) health_url: Url,
    /// What requests to single hosts add (`hosts`).
    pub(super) host_requests: ByHost<HostRequest>,
}

/// Everything of an HTTP (or GraphQL) connection that is checked and built without the network
/// or a file: the base URL, the health check's URL, the user agent, the headers and the
/// credential headers. The loader runs it (the protocol's declared check, [`check_http`]) and
/// `connect` runs it again to build the client, so a config refused at connect was refused by
/// `check` and `load_config()` first.
struct Prepared {
    base: Url,
    health_url: Url,
    user_agent: HeaderValue,
    headers: HeaderMap,
    origin_credentials: HeaderMap,
}

/// See [`Prepared`].
///
/// # Errors
/// Every problem, each at its key (`url`, `health.path`, `user_agent`, `headers`, `auth`),
/// never quoting a URL, a header value or a secret.
fn prepare(config: &HttpConfig) -> Result<Prepared, Vec<Problem>> {
    let mut problems = Vec::new();
    let base = target::base::<super::HttpConnection>(&config.url)
        .map_err(|message| problems.push(Problem::at("url", message)))
        .ok();
    let path = config.health.path.as_deref().unwrap_or("");
    let health_url = base.as_ref().and_then(|base| {
        target::join(base, path)
            .map_err(|message| problems.push(Problem::at("health.path", format!("`health.path`: {message}"))))
            .ok()
    });
    let user_agent = HeaderValue::from_str(config.user_agent.as_deref().unwrap_or(USER_AGENT))
        .map_err(|_| {
            problems.push(Problem::at(
                "user_agent",
                "`user_agent` holds a character a header value may not (such as a line break)",
            ))
        })
        .ok();
    let headers = default_headers(config)
        .map_err(|problem| problems.push(problem))
        .ok();
    problems.extend(super::hosts::check(config));
    match (base, health_url, user_agent, headers) {
        (Some(base), Some(health_url), Some(user_agent), Some((headers, origin_credentials)))
            if problems.is_empty() =>
        {
            Ok(Prepared {
                base,
                health_url,
                user_agent,
                headers,
                origin_credentials,
            })
        }
        _ => Err(problems),
    }
}

use crate::resilience::Scope;

/// The protocol's declared check (`check [check_http]` in `connfx-spec`): [`prepare`]'s
/// problems. Those of `auth` are left to the `auth` group's own check, which reports them at
/// their keys already.
pub(super) fn check_http(config: &HttpConfig) -> Vec<Problem> {
    let mut problems: Vec<Problem> = prepare(config).err().unwrap_or_default();
    problems.retain(|problem| problem.key != "auth");
    problems.extend(fleet_problems(
        "",
        config.per_host,
        config.rate_limit.as_ref(),
        config.circuit_breaker.as_ref(),
    ));
    problems
}

/// A rate limit or breaker kept across the fleet (`scope = "fleet"`) on a `per_host`
/// connection, which keeps them per host: the groups at `path` (the connection's, or a
/// host's in `hosts`).
pub(super) fn fleet_problems(
    path: &str,
    per_host: bool,
    rate_limit: Option<&crate::RateLimitConfig>,
    circuit_breaker: Option<&crate::CircuitBreakerConfig>,
) -> Vec<Problem> {
    let fleet_limit = rate_limit.is_some_and(|r| r.scope == Scope::Fleet);
    let fleet_breaker = circuit_breaker.is_some_and(|c| c.scope == Scope::Fleet);
    let mut problems = Vec::new();
    for (fleet, group) in [(fleet_limit, "rate_limit"), (fleet_breaker, "circuit_breaker")] {
        if per_host && fleet {
            problems.push(Problem::at(
                join(path, &format!("{group}.scope")),
                format!("`scope = \"fleet\"` keeps one `{group}` for the connection across the fleet; with `per_host = true` it is kept per host: set one of them"),
            ));
        }
    }
    problems
}

/// The client: user agent, default headers and auth, connect timeout, pool, TLS.
///
/// # Errors
/// A message for the connect error, naming the key or file at fault and never a secret.
pub(super) fn build(name: &str, config: &HttpConfig) -> Result<Built, String> {
    warn_ignored(name, config);
    let prepared = prepare(config).map_err(|problems| connect_message(&problems))?;
    let settings = ClientSettings {
        user_agent: prepared.user_agent,
        headers: header_list(prepared.headers),
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
        origin_credentials: prepared.origin_credentials,
        base: prepared.base,
        health_url: prepared.health_url,
        host_requests: super::hosts::request_table(config),
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
fn default_headers(config: &HttpConfig) -> Result<(HeaderMap, HeaderMap), Problem> {
    let mut headers = HeaderMap::with_capacity(config.headers.0.len() + 1);
    let mut origin_only = HeaderMap::new();
    for (name, value) in &config.headers.0 {
        let sensitive = Headers::is_sensitive(name);
        let (header, value) =
            crate::protocol::header::parse(name, value, sensitive).map_err(|m| Problem::at("headers", m))?;
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
    for (name, value) in credentials::headers(config).map_err(|m| Problem::at("auth", m))? {
        target.insert(name, value);
    }
    Ok((headers, origin_only))
}

/// The TLS files, read now ([`read_files`], as the loader read them): the client is chosen by
/// their contents, so a file changed since another connection was made gives a new client.
fn tls_files(name: &str, tls: &TlsConfig) -> Result<TlsFiles, String> {
    let files = read_files(tls).map_err(|problems| connect_message(&problems))?;
    if tls.accept_invalid_certs {
        tracing::warn!(
            connection = name,
            "`tls.accept_invalid_certs`: any server certificate is accepted"
        );
    }
    Ok(files)
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
