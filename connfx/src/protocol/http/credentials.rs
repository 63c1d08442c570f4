//! The credential headers of `auth` (or of the URL's user-info), built once at connect.

use base64::prelude::{BASE64_STANDARD, Engine as _};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use super::HttpConfig;
use crate::{AuthConfig, Secret};

/// The headers that carry the configured credential, marked sensitive so reqwest never shows
/// them and drops them on a redirect to another host.
///
/// `auth.bearer`, `auth.username` (+ `password`), `auth.api_key` and `auth.oauth2` exclude each
/// other (the `auth` group's checks, run at load and again here); an OAuth2 token changes, so
/// it is added per request (`super::oauth2`), not here. When none of `bearer`, `username` and
/// `oauth2` is set, user-info in the URL (`https://user:pass@host`) is sent as
/// basic auth, as curl and reqwest do.
///
/// # Errors
/// A message naming the offending key; never the secret itself.
pub(super) fn headers(config: &HttpConfig) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    auth_headers(&config.auth, config.url.expose())
}

/// The credential headers of `auth`, or of `url`'s user-info; see [`headers`]. Shared with the
/// protocols built on HTTP (SSE) and with WebSocket handshakes.
pub(crate) fn auth_headers(
    auth: &AuthConfig,
    url: &url::Url,
) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    // The group's declared rule (one credential at most) and check (`credentials_fit`), as
    // the loader ran them: a config built in code gets the same answer here.
    let problems: Vec<String> = crate::config::group::problems(auth)
        .into_iter()
        .map(|problem| match problem.starts_with("`auth") {
            true => problem,
            false => format!("`auth`: {problem}"),
        })
        .collect();
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let mut headers = Vec::new();
    if let Some(token) = &auth.bearer {
        headers.push((
            AUTHORIZATION,
            sensitive(&format!("Bearer {}", token.expose()), "auth.bearer")?,
        ));
    } else if let Some(user) = &auth.username {
        let password = auth.password.as_ref().map_or("", Secret::expose);
        headers.push((AUTHORIZATION, basic(user, password, "auth.password")?));
    } else if auth.oauth2.is_none()
        && let Some((user, password)) = url_user_info(url)
    {
        headers.push((AUTHORIZATION, basic(&user, &password, "url")?));
    }
    if let Some(key) = &auth.api_key {
        let name = HeaderName::from_bytes(auth.api_key_header.as_bytes()).map_err(|_| {
            format!(
                "`auth.api_key_header` {} is not a valid header name",
                connfx_spec::message::quoted(&auth.api_key_header)
            )
        })?;
        headers.push((name, sensitive(key.expose(), "auth.api_key")?));
    }
    Ok(headers)
}

/// `Basic base64(user:password)`.
fn basic(user: &str, password: &str, key: &str) -> Result<HeaderValue, String> {
    sensitive(
        &format!("Basic {}", BASE64_STANDARD.encode(format!("{user}:{password}"))),
        key,
    )
}

fn sensitive(value: &str, key: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| format!("`{key}` holds a character a header value may not (such as a line break)"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// The URL's user name and password, percent-decoded.
fn url_user_info(url: &url::Url) -> Option<(String, String)> {
    let (user, password) = (url.username(), url.password());
    (!user.is_empty() || password.is_some())
        .then(|| (percent_decode(user), percent_decode(password.unwrap_or_default())))
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_leaves_bad_escapes_alone() {
        assert_eq!(percent_decode("open%20sesame%2"), "open sesame%2");
        assert_eq!(percent_decode("p%C3%BCss%zz"), "püss%zz");
    }

    #[test]
    fn credentials_exclude_each_other_and_never_show() {
        let config: HttpConfig = serde_json::from_value(serde_json::json!({
            "url": "http://h", "auth": { "bearer": "t0ken", "api_key": "k3y" }
        }))
        .expect("valid config");
        let err = headers(&config).expect_err("two credentials");
        assert!(
            err.contains("at most one") && !err.contains("t0ken") && !err.contains("k3y"),
            "{err}"
        );
    }

    #[test]
    fn url_user_info_becomes_basic_auth() {
        let config: HttpConfig =
            serde_json::from_value(serde_json::json!({ "url": "http://Aladdin:open%20sesame@h/" }))
                .expect("valid config");
        let headers = headers(&config).expect("valid");
        assert_eq!(headers[0].1, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(headers[0].1.is_sensitive());
    }
}
