/// The declaration of `auth(...)` (see [`crate::declare`]): one scheme at most.
#[macro_export]
#[doc(hidden)]
macro_rules! auth_group {
    ($then:path) => {
        $then! {
            /// `auth(...)`: one of bearer token, basic (`username` + `password`) or API key.
            ///
            /// ```
            /// let auth = connfx::AuthConfig { bearer: Some(connfx::Secret::new("t0ken")), ..Default::default() };
            /// assert!(!format!("{auth:?}").contains("t0ken"));
            /// ```
            group AUTH = "auth" for AuthConfig;
            rules [AtMostOne(bearer, username, api_key)];
            shorthand [];
            check [credentials_fit];
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
