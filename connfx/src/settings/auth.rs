use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::Secret;

/// `auth(...)`: one of bearer token, basic (`username` + `password`) or API key.
///
/// ```
/// let auth = connfx::AuthConfig { bearer: Some(connfx::Secret::new("t0ken")), ..Default::default() };
/// assert!(!format!("{auth:?}").contains("t0ken"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
#[validate(schema(function = "check_auth"))]
pub struct AuthConfig {
    /// Bearer token sent as `Authorization: Bearer …`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bearer: Option<Secret>,
    /// User name for basic authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password for basic authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// API key, sent in the `api_key_header` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
    /// Header that carries `api_key`.
    pub api_key_header: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            bearer: None,
            username: None,
            password: None,
            api_key: None,
            api_key_header: "x-api-key".into(),
        }
    }
}

fn check_auth(c: &AuthConfig) -> Result<(), ValidationError> {
    let is_set = |key: &str| match key {
        "bearer" => c.bearer.is_some(),
        "username" => c.username.is_some(),
        "api_key" => c.api_key.is_some(),
        _ => false,
    };
    crate::resilience::check_rules(&connfx_spec::groups::AUTH, |_| None, is_set)
}
