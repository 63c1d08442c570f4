//! `auth.oauth2`: its config struct, declared once in `connfx-spec` (see `config::group`) as a
//! group nested in `auth`, and its declared check ([`client_fits`]). The token itself is kept
//! by `protocol::http::oauth2`.

use crate::config::group::Problem;
use crate::{ConnUrl, Secret};

connfx_spec::oauth2_group!(crate::config::group::config_group);

crate::config::group::choice! {
    /// `auth.oauth2.client_auth = "basic" | "post"`: how the client authenticates to the token
    /// endpoint (RFC 6749 §2.3.1).
    ///
    /// ```
    /// assert_eq!(connfx::OAuth2ClientAuth::default(), connfx::OAuth2ClientAuth::Basic);
    /// ```
    pub enum OAuth2ClientAuth {
        /// HTTP basic auth with `client_id` and `client_secret` (`client_secret_basic`, the
        /// RFC's default).
        #[default]
        Basic = "basic",
        /// `client_id` and `client_secret` in the form body (`client_secret_post`).
        Post = "post",
    }
}

/// Client credentials need a token endpoint, an id and a secret, the endpoint an `http` or
/// `https` URL, and every text that goes into a header a header's characters. Messages name
/// the key, never the secret.
pub(crate) fn client_fits(oauth2: &OAuth2Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    let unset = [
        ("token_url", oauth2.token_url.is_none()),
        ("client_id", oauth2.client_id.is_none()),
        ("client_secret", oauth2.client_secret.is_none()),
    ];
    for (key, missing) in unset {
        if missing {
            problems.push(Problem::at(
                key,
                format!("`auth.oauth2.{key}` is required with `auth.oauth2`"),
            ));
        }
    }
    if let Some(url) = &oauth2.token_url
        && !matches!(url.expose().scheme(), "http" | "https")
    {
        problems.push(Problem::at(
            "token_url",
            format!(
                "`auth.oauth2.token_url` must be an `http` or `https` URL, not `{}:`",
                url.expose().scheme()
            ),
        ));
    }
    let id = oauth2.client_id.as_deref().unwrap_or_default();
    let secret = oauth2.client_secret.as_ref().map_or("", Secret::expose);
    if !crate::settings::headers::fits_value(id) || !crate::settings::headers::fits_value(secret) {
        problems.push(Problem::at(
            "client_id",
            "`auth.oauth2.client_id` or `client_secret` holds a character a header value may not (such as a line break)",
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_and_bad_scheme_are_named_without_the_secret() {
        let config = OAuth2Config {
            token_url: Some("ftp://auth.example/token".parse().expect("url")),
            client_secret: Some(Secret::new("s3cret")),
            ..Default::default()
        };
        let messages: Vec<String> = client_fits(&config).into_iter().map(|p| p.message).collect();
        let all = messages.join("\n");
        assert!(all.contains("`auth.oauth2.client_id` is required"), "{all}");
        assert!(all.contains("`auth.oauth2.token_url` must be an `http`"), "{all}");
        assert!(!all.contains("s3cret"), "{all}");
    }
}
