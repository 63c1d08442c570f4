/// The declaration of `tls(...)` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! tls_group {
    ($then:path) => {
        $then! {
            /// `tls(...)`: extra trust roots and a client certificate.
            ///
            /// ```
            /// let tls = connfx::TlsConfig { ca_file: Some("certs/ca.pem".into()), ..Default::default() };
            /// assert!(!tls.accept_invalid_certs);
            /// ```
            group TLS = "tls" for TlsConfig;
            rules [];
            shorthand [];
            check [check_files];
            keys {
                /// PEM file of extra CA certificates to trust.
                #[serde(skip_serializing_if = "Option::is_none")]
                ca_file: Option<String> = None => Str;
                /// PEM file of the client certificate (with `key_file`).
                #[serde(skip_serializing_if = "Option::is_none")]
                cert_file: Option<String> = None => Str;
                /// PEM file of the client certificate's private key.
                #[serde(skip_serializing_if = "Option::is_none")]
                key_file: Option<String> = None => Str;
                /// Accept any server certificate. For tests only.
                accept_invalid_certs: bool = false => Bool;
            }
        }
    };
}

crate::tls_group!(crate::spec_group);
