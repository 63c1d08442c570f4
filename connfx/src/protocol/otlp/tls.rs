//! `tls(...)` for the collector: extra CA roots, a client certificate, `accept_invalid_certs`,
//! read once and applied to the HTTP client or the gRPC endpoint.

use std::fs;

use tonic::transport::{Certificate, ClientTlsConfig, Identity};

use crate::TlsConfig;

/// The TLS files of a config, read and checked.
pub(super) struct Material {
    /// PEM bundle of extra CA roots.
    ca: Option<Vec<u8>>,
    /// PEM client certificate chain and PEM private key.
    identity: Option<(Vec<u8>, Vec<u8>)>,
    accept_invalid_certs: bool,
    /// The parsed forms reqwest takes.
    roots: Vec<reqwest::Certificate>,
    client: Option<reqwest::Identity>,
}

impl Material {
    /// Reads the files `tls` names.
    ///
    /// # Errors
    /// The key and file at fault, and why.
    pub(super) fn load(tls: &TlsConfig) -> Result<Self, String> {
        let ca = tls
            .ca_file
            .as_deref()
            .map(|p| read("tls.ca_file", p))
            .transpose()?;
        let roots = match (&ca, tls.ca_file.as_deref()) {
            (Some(pem), Some(path)) => parse_roots(pem, path)?,
            _ => Vec::new(),
        };
        let identity = match (&tls.cert_file, &tls.key_file) {
            (Some(cert), Some(key)) => Some((read("tls.cert_file", cert)?, read("tls.key_file", key)?)),
            (None, None) => None,
            _ => {
                return Err("`tls.cert_file` and `tls.key_file` go together; set both or neither".to_owned());
            }
        };
        let client = identity.as_ref().map(parse_identity).transpose()?;
        Ok(Material {
            ca,
            identity,
            accept_invalid_certs: tls.accept_invalid_certs,
            roots,
            client,
        })
    }

    /// The blocking HTTP client's TLS: extra roots merged with the built-in ones.
    pub(super) fn apply_blocking(
        self,
        mut builder: reqwest::blocking::ClientBuilder,
    ) -> reqwest::blocking::ClientBuilder {
        if !self.roots.is_empty() {
            builder = builder.tls_certs_merge(self.roots);
        }
        if let Some(identity) = self.client {
            builder = builder.identity(identity);
        }
        builder.tls_danger_accept_invalid_certs(self.accept_invalid_certs)
    }

    /// The gRPC endpoint's TLS: webpki roots plus the extra ones.
    ///
    /// # Errors
    /// `accept_invalid_certs`, which tonic does not offer.
    pub(super) fn grpc(self) -> Result<ClientTlsConfig, String> {
        if self.accept_invalid_certs {
            return Err("`tls.accept_invalid_certs` is not supported with `transport = \"grpc\"`".to_owned());
        }
        let mut tls = ClientTlsConfig::new().with_webpki_roots();
        if let Some(pem) = self.ca {
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        if let Some((cert, key)) = self.identity {
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        Ok(tls)
    }
}

fn parse_roots(pem: &[u8], path: &str) -> Result<Vec<reqwest::Certificate>, String> {
    let certs = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|_| format!("`tls.ca_file` {path}: not a PEM file of certificates"))?;
    if certs.is_empty() {
        return Err(format!("`tls.ca_file` {path}: holds no PEM certificate"));
    }
    Ok(certs)
}

fn parse_identity((cert, key): &(Vec<u8>, Vec<u8>)) -> Result<reqwest::Identity, String> {
    let mut pem = cert.clone();
    pem.push(b'\n');
    pem.extend_from_slice(key);
    reqwest::Identity::from_pem(&pem)
        .map_err(|_| "`tls.cert_file` with `tls.key_file`: not a PEM certificate and key".to_owned())
}

fn read(key: &str, path: &str) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("`{key}` {path}: cannot read it: {e}"))
}
