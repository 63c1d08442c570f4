//! A TLS listener for servers of the tests' own (axum behind tokio-rustls), its certificate for
//! 127.0.0.1 signed by the test CA of `certificates.rs`; optionally requiring a client
//! certificate signed by the same CA.

use std::path::Path;
use std::sync::Arc;

use axum::serve::Listener;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Accepts TCP connections and completes the TLS handshake; a failed handshake (a client that
/// does not trust the server, or brings no certificate when one is required) is dropped.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl TlsListener {
    /// Binds a free port of 127.0.0.1 with `server.crt` and `server.key` of `dir`; with
    /// `mutual`, clients must present a certificate signed by `dir`'s `ca.crt`.
    pub async fn bind(dir: &Path, mutual: bool) -> TlsListener {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("TLS versions");
        let builder = match mutual {
            true => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(certs(&dir.join("ca.crt"))[0].clone()).expect("CA");
                let verifier =
                    rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                        .build()
                        .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            false => builder.with_no_client_auth(),
        };
        let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("server key");
        let config = builder
            .with_single_cert(certs(&dir.join("server.crt")), key)
            .expect("server certificate");
        TlsListener {
            tcp: TcpListener::bind("127.0.0.1:0").await.expect("bind"),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

fn certs(path: &Path) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(path)
        .expect("PEM file")
        .collect::<Result<_, _>>()
        .expect("certificates")
}
