//! `tls(...)` for the collector: extra CA roots, a client certificate, `accept_invalid_certs`,
//! read once and applied to the HTTP client or the gRPC endpoint.

use tonic::transport::{Certificate, ClientTlsConfig, Identity};

use super::{OtlpConfig, OtlpTransport};
use crate::TlsConfig;
use crate::config::group::{Problem, connect_message};
use crate::settings::tls::read_files;

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
        // Read and checked as the loader did (the `tls` group's declared check).
        let files = read_files(tls).map_err(|problems| connect_message(&problems))?;
        let roots = match &files.ca {
            Some((path, pem)) => parse_roots(pem, path)?,
            None => Vec::new(),
        };
        let ca = files.ca.map(|(_, pem)| pem);
        let identity = files.identity.map(|identity| (identity.cert, identity.key));
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

    /// The gRPC endpoint's TLS: webpki roots plus the extra ones (`accept_invalid_certs` is
    /// refused before, by [`grpc_supports`]).
    pub(super) fn grpc(self) -> ClientTlsConfig {
        let mut tls = ClientTlsConfig::new().with_webpki_roots();
        if let Some(pem) = self.ca {
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        if let Some((cert, key)) = self.identity {
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        tls
    }
}

/// tonic offers no way to accept any certificate: `tls.accept_invalid_certs` with gRPC over
/// `https` is refused, at load (the protocol's declared check) and at connect.
///
/// # Errors
/// The problem at `tls.accept_invalid_certs`.
pub(super) fn grpc_supports(config: &OtlpConfig) -> Result<(), Problem> {
    let grpc = config.transport == OtlpTransport::Grpc;
    match grpc && config.url.expose().scheme() == "https" && config.tls.accept_invalid_certs {
        true => Err(Problem::at(
            "tls.accept_invalid_certs",
            "`tls.accept_invalid_certs` is not supported with `transport = \"grpc\"`",
        )),
        false => Ok(()),
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
