/// The declaration of `auth.oauth2` (see [`crate::declare`]): OAuth2 client credentials, a
/// group nested in `auth` (its `nested [...]` line).
#[macro_export]
#[doc(hidden)]
macro_rules! oauth2_group {
    ($then:path) => {
        $then! {
            /// `auth.oauth2`: OAuth2 client credentials (RFC 6749 §4.4). The connection asks
            /// `token_url` for an access token, keeps it, asks again before `expires_in` runs
            /// out (one request however many calls wait) and after a 401, and sends it as
            /// `Authorization: Bearer …`. Set from files and the environment
            /// (`[api.auth.oauth2]`, `APP_API_AUTH_OAUTH2_TOKEN_URL` …).
            ///
            /// ```
            /// let oauth2 = connfx::OAuth2Config {
            ///     token_url: Some("https://auth.example.com/oauth/token".parse().unwrap()),
            ///     client_id: Some("my-service".into()),
            ///     client_secret: Some(connfx::Secret::new("s3cret")),
            ///     scopes: Some(vec!["read".into()]),
            ///     ..Default::default()
            /// };
            /// assert!(!format!("{oauth2:?}").contains("s3cret"));
            /// ```
            group OAUTH2 = "oauth2" for OAuth2Config;
            rules [];
            shorthand [];
            check [client_fits];
            keys {
                /// The token endpoint (`http` or `https`).
                #[serde(skip_serializing_if = "Option::is_none")]
                token_url: Option<ConnUrl> = None => Url;
                /// The client's id.
                #[serde(skip_serializing_if = "Option::is_none")]
                client_id: Option<String> = None => Str;
                /// The client's secret.
                #[serde(skip_serializing_if = "Option::is_none")]
                client_secret: Option<Secret> = None => Secret;
                /// Scopes asked for (`scope`, space-separated); unset: the server's default.
                #[serde(skip_serializing_if = "Option::is_none")]
                scopes: Option<Vec<String>> = None => List;
                /// The `audience` parameter some servers (Auth0, Okta) want.
                #[serde(skip_serializing_if = "Option::is_none")]
                audience: Option<String> = None => Str;
                /// How the client authenticates (RFC 6749 §2.3.1): `basic`, HTTP basic auth
                /// (`client_secret_basic`, the RFC's default, used when unset), or `post`,
                /// `client_id` and `client_secret` in the form (`client_secret_post`). Unset
                /// rather than defaulted, so that no key of `auth.oauth2` has a value until a
                /// source names the group.
                #[serde(skip_serializing_if = "Option::is_none")]
                client_auth: Option<OAuth2ClientAuth> = None => OneOf["basic", "post"];
            }
        }
    };
}

crate::oauth2_group!(crate::spec_group);
