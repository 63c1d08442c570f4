/// The declaration of `auth(...)` (see [`crate::declare`]): one scheme at most.
#[macro_export]
#[doc(hidden)]
macro_rules! auth_group {
    ($then:path) => {
        $then! {
            /// `auth(...)`: one of bearer token, basic (`username` + `password`), API key or OAuth2
            /// client credentials (`oauth2`, a nested group set from files and the environment).
            ///
            /// ```
            /// let auth = connfx::AuthConfig { bearer: Some(connfx::Secret::new("t0ken")), ..Default::default() };
            /// assert!(!format!("{auth:?}").contains("t0ken"));
            /// ```
            group AUTH = "auth" for AuthConfig;
            rules [AtMostOne(bearer, username, api_key, oauth2)];
            shorthand [];
            check [credentials_fit];
            nested [
                /// OAuth2 client credentials (its own table, `auth.oauth2`); unset: not used.
                oauth2: Option<OAuth2Config> => OAUTH2,
            ];
            keys {
                /// Bearer token sent as `Authorization: Bearer …`.
                #[serde(skip_serializing_if = "Option::is_none")]
                bearer: Option<Secret> = None => Secret;
                /// User name for basic authentication.
                #[serde(skip_serializing_if = "Option::is_none")]
                username: Option<String> = None => Str;
                /// Password for basic authentication.
                #[serde(skip_serializing_if = "Option::is_none")]
                password: Option<Secret> = None => Secret;
                /// API key, sent in the `api_key_header` header.
                #[serde(skip_serializing_if = "Option::is_none")]
                api_key: Option<Secret> = None => Secret;
                /// Header that carries `api_key`.
                api_key_header: String = "x-api-key".into() => Str;
            }
        }
    };
}

crate::auth_group!(crate::spec_group);
