//! `auth(...)`: its config struct, declared once in `connfx-spec` (see `config::group`), and
//! its declared check ([`credentials_fit`]), run at load and by every connection that sends
//! the credential (HTTP, GraphQL, SSE, WebSocket) at connect.

use super::oauth2::OAuth2Config;
use crate::Secret;
use crate::config::group::Problem;

connfx_spec::auth_group!(crate::config::group::config_group);

/// A credential must be one that can be sent: `password` only with `username`, a `bearer`
/// token and an `api_key` that fit in a header value (no line break), and `api_key_header` a
/// header name. (At most one of `bearer`, `username`, `api_key` is the group's declared rule.)
/// Messages name the key, never the secret.
pub(crate) fn credentials_fit(auth: &AuthConfig) -> Vec<Problem> {
    let mut problems = Vec::new();
    if auth.password.is_some() && auth.username.is_none() {
        problems.push(Problem::at("password", "`auth.password` needs `auth.username`"));
    }
    let secrets = [("bearer", &auth.bearer), ("api_key", &auth.api_key)];
    for (key, secret) in secrets {
        if secret
            .as_ref()
            .is_some_and(|s| !crate::settings::headers::fits_value(s.expose()))
        {
            problems.push(Problem::at(
                key,
                format!("`auth.{key}` holds a character a header value may not (such as a line break)"),
            ));
        }
    }
    if auth.api_key.is_some() && !crate::settings::headers::fits_name(&auth.api_key_header) {
        problems.push(Problem::at(
            "api_key_header",
            format!(
                "`auth.api_key_header` {} is not a valid header name",
                connfx_spec::message::quoted(&auth.api_key_header)
            ),
        ));
    }
    problems
}
