//! Where a request goes: the base URL checked at connect, and request paths joined onto it.

use url::Url;

use crate::ConnUrl;

/// The base URL requests of a connection of type `C` are sent to (an HTTP or SSE connection):
/// one of `C`'s schemes, with a host, without user-info (which
/// [`credentials`](super::credentials) turns into basic auth) and without a fragment.
///
/// # Errors
/// A message for the connect error; it describes the URL without repeating it.
pub(crate) fn base<C: crate::Connection>(url: &ConnUrl) -> Result<Url, String> {
    crate::protocol::handle::check_scheme::<C>(url.expose())?;
    if url.expose().host_str().is_none_or(str::is_empty) {
        return Err("`url` has no host".to_owned());
    }
    let mut base = url.expose().clone();
    // Only fails for URLs that cannot carry credentials, and an http(s) URL with a host can.
    let _ = base.set_username("");
    let _ = base.set_password(None);
    base.set_fragment(None);
    Ok(base)
}

/// Where a request for `path` goes: joined onto `base` ([`join`]), or, for a `per_host`
/// connection, the absolute URL `path` names ([`absolute`]).
///
/// # Errors
/// The message of an [`InvalidRequest`](crate::CallError::InvalidRequest).
pub(super) fn resolve(base: &Url, path: &str, per_host: bool) -> Result<Url, String> {
    if per_host && Url::parse(path).is_ok_and(|u| u.has_host()) {
        absolute(path)
    } else {
        join(base, path)
    }
}

/// An absolute request URL of a `per_host` connection: `http` or `https`, with a host, without
/// user-info (a credential in a request URL would reach reqwest's messages), fragment dropped.
///
/// # Errors
/// The message of an [`InvalidRequest`](crate::CallError::InvalidRequest); it does not repeat
/// the URL.
pub(super) fn absolute(url: &str) -> Result<Url, String> {
    let mut url = Url::parse(url).map_err(|e| format!("request URL is not valid: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "request URL scheme must be `http` or `https`, found `{}`",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("request URL may not hold user-info; send credentials in a header".to_owned());
    }
    url.set_fragment(None);
    Ok(url)
}

/// The key of `url`'s host for per-host policies: `host:port`, with the scheme's default port
/// when the URL names none.
pub(super) fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Whether `url` is on `base`'s scheme, host and port: where credentials may be sent.
pub(super) fn same_origin(base: &Url, url: &Url) -> bool {
    url.scheme() == base.scheme()
        && url.host() == base.host()
        && url.port_or_known_default() == base.port_or_known_default()
}

/// Joins `path` onto `base`, keeping the base path: `http://h/api` + `/x` or `x` → `http://h/api/x`.
/// An empty path or `/` is the base URL itself. A query in `path` comes after the base URL's own.
///
/// # Errors
/// The message of an [`InvalidRequest`](crate::CallError::InvalidRequest) when `path` is an
/// absolute URL or would leave the base URL; the path is not repeated, as it may hold a secret.
pub(super) fn join(base: &Url, path: &str) -> Result<Url, String> {
    let path = path.split_once('#').map_or(path, |(before, _)| before);
    let (path, query) = path.split_once('?').map_or((path, None), |(p, q)| (p, Some(q)));
    if is_absolute(path) {
        return Err("request path must be relative to the base URL, found an absolute URL".to_owned());
    }
    let mut url = base.clone();
    let relative = path.strip_prefix('/').unwrap_or(path);
    if !relative.is_empty() {
        // Pushed, not `format!`ed: this runs on every request.
        let dir = base.path().trim_end_matches('/');
        let mut joined = String::with_capacity(dir.len() + 1 + relative.len());
        joined.push_str(dir);
        joined.push('/');
        joined.push_str(relative);
        url.set_path(&joined);
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        let joined = base
            .query()
            .filter(|q| !q.is_empty())
            .map_or_else(|| query.to_owned(), |b| format!("{b}&{query}"));
        url.set_query(Some(&joined));
    }
    if !stays_within(base, &url) {
        return Err("request path would leave the base URL".to_owned());
    }
    Ok(url)
}

/// `https://other/x`, `//other/x` and `\\other\x` name a host of their own; `projects:list`
/// (no host) is an ordinary relative path.
fn is_absolute(path: &str) -> bool {
    let starts_network_path = path.starts_with("//") || path.starts_with("\\\\") || path.starts_with("/\\");
    // A scheme ends at a `:` before any `/`: a path without one (`/item`) cannot be parsed as a
    // URL of its own, so the parse (on every request) is skipped.
    let may_have_scheme = path.split('/').next().is_some_and(|first| first.contains(':'));
    starts_network_path || (may_have_scheme && Url::parse(path).is_ok_and(|u| u.has_host()))
}

/// Same scheme, host and port, and a path at or below the base path (`..` may not climb out).
fn stays_within(base: &Url, url: &Url) -> bool {
    let dir = base.path().trim_end_matches('/');
    let below = url
        .path()
        .strip_prefix(dir)
        .is_some_and(|rest| rest.starts_with('/'));
    same_origin(base, url) && (url.path() == base.path() || below)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(base: &str, path: &str) -> Result<String, String> {
        join(&Url::parse(base).expect("valid base"), path).map(String::from)
    }

    #[test]
    fn keeps_the_base_path() {
        assert_eq!(
            joined("http://h:1/api", "/items/1").as_deref(),
            Ok("http://h:1/api/items/1")
        );
        assert_eq!(
            joined("http://h:1/api", "items/1").as_deref(),
            Ok("http://h:1/api/items/1")
        );
        assert_eq!(joined("http://h/api/", "/x").as_deref(), Ok("http://h/api/x"));
        assert_eq!(joined("http://h", "/x").as_deref(), Ok("http://h/x"));
        assert_eq!(joined("http://h/api", "").as_deref(), Ok("http://h/api"));
        assert_eq!(joined("http://h/api", "/").as_deref(), Ok("http://h/api"));
        assert_eq!(
            joined("http://h/v1", "/projects:list").as_deref(),
            Ok("http://h/v1/projects:list")
        );
        assert_eq!(
            joined("http://h/v1", "projects:list").as_deref(),
            Ok("http://h/v1/projects:list")
        );
    }

    #[test]
    fn keeps_queries_and_drops_fragments() {
        assert_eq!(
            joined("http://h/api", "/x?a=1").as_deref(),
            Ok("http://h/api/x?a=1")
        );
        assert_eq!(
            joined("http://h/api?k=v", "/x?a=1").as_deref(),
            Ok("http://h/api/x?k=v&a=1")
        );
        assert_eq!(
            joined("http://h/api?k=v", "/x").as_deref(),
            Ok("http://h/api/x?k=v")
        );
        assert_eq!(joined("http://h/api", "/x#top").as_deref(), Ok("http://h/api/x"));
    }

    #[test]
    fn encodes_what_a_path_may_not_hold() {
        assert_eq!(
            joined("http://h/api", "/a b").as_deref(),
            Ok("http://h/api/a%20b")
        );
        assert_eq!(
            joined("http://h/api", "/a%2Fb").as_deref(),
            Ok("http://h/api/a%2Fb")
        );
    }

    #[test]
    fn refuses_to_leave_the_base() {
        for path in [
            "http://evil/x",
            "https://h/api/x",
            "//evil/x",
            "\\\\evil\\x",
            "/../x",
            "../api2/x",
            "a/../../x",
        ] {
            let err = joined("http://h/api", path).expect_err(path);
            assert!(!err.contains("evil"), "{err}");
        }
        assert!(joined("http://h/api", "a/../b").is_ok());
        assert!(joined("http://h/api", "/%2e%2e/x").is_err());
    }

    #[test]
    fn per_host_connections_take_absolute_urls() {
        let base = Url::parse("http://h/api").expect("valid base");
        let other = resolve(&base, "https://other.example:8443/hook#x", true).expect("absolute");
        assert_eq!(other.as_str(), "https://other.example:8443/hook");
        assert_eq!(host_key(&other), "other.example:8443");
        assert_eq!(
            host_key(&Url::parse("https://a.example/").expect("valid")),
            "a.example:443"
        );
        assert_eq!(
            resolve(&base, "/items", true).map(String::from).as_deref(),
            Ok("http://h/api/items")
        );
        assert!(resolve(&base, "https://other.example/", false).is_err());
        let err = resolve(&base, "https://u:hunter2@other.example/", true).expect_err("user-info");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(resolve(&base, "ftp://other.example/", true).is_err());
        assert!(same_origin(
            &base,
            &Url::parse("http://h:80/other").expect("valid")
        ));
        assert!(!same_origin(&base, &Url::parse("https://h/api").expect("valid")));
    }
}
