use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// `tls(...)`: extra trust roots and a client certificate.
///
/// ```
/// let tls = connfx::TlsConfig { ca_file: Some("certs/ca.pem".into()), ..Default::default() };
/// assert!(!tls.accept_invalid_certs);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file of extra CA certificates to trust.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// PEM file of the client certificate (with `key_file`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    /// PEM file of the client certificate's private key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// Accept any server certificate. For tests only.
    pub accept_invalid_certs: bool,
}
