//! `tls(...)`: its config struct, declared once in `connfx-spec` (see `config::group`), and the
//! one reading of its files ([`read_files`]): at load, as the group's declared check, and at
//! connect by every protocol that has a `tls` group (HTTP, OTLP, Redis).

use std::io::Cursor;

use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::{self, PemObject, SectionKind};

use crate::config::group::Problem;

connfx_spec::tls_group!(crate::config::group::config_group);

/// The files of a [`TlsConfig`], read and checked: what a TLS client is built from.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct TlsFiles {
    /// `tls.ca_file`: its path (for messages) and contents, one or more PEM certificates.
    pub ca: Option<(String, Vec<u8>)>,
    /// `tls.cert_file` and `tls.key_file`: their paths, the certificate chain and the key.
    pub identity: Option<Identity>,
    /// `tls.accept_invalid_certs`.
    pub accept_invalid_certs: bool,
}

/// A client certificate and its key, as PEM.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Identity {
    pub cert_path: String,
    pub key_path: String,
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
}

impl Identity {
    /// The certificate chain and the key in one PEM text, as reqwest reads an identity.
    pub(crate) fn joined(&self) -> Vec<u8> {
        let mut pem = self.cert.clone();
        pem.push(b'\n');
        pem.extend_from_slice(&self.key);
        pem
    }
}

/// The group's declared check: [`read_files`], keeping only the problems.
fn check_files(tls: &TlsConfig) -> Vec<Problem> {
    read_files(tls).err().unwrap_or_default()
}

/// Reads the files `tls` names and checks them as the TLS clients will read them: `ca_file`
/// readable and holding at least one PEM certificate; `cert_file` and `key_file` set together,
/// readable, the first holding only PEM certificates (at least one), the second a PEM private
/// key. Local files only, so the loader runs it (a broken file fails `check` and
/// `load_config()`, not the first connect), and `connect` runs it again for the contents it
/// builds the client from.
///
/// # Errors
/// Every problem, each at its key (`ca_file`, `cert_file`, `key_file`, relative to the group),
/// its message naming `tls.<key>` and the file, never the file's contents.
pub(crate) fn read_files(tls: &TlsConfig) -> Result<TlsFiles, Vec<Problem>> {
    let mut problems = Vec::new();
    let ca = tls
        .ca_file
        .as_deref()
        .and_then(|path| {
            keep(
                read("ca_file", path).and_then(|pem| ca_bundle(path, pem)),
                &mut problems,
            )
        })
        .zip(tls.ca_file.clone())
        .map(|(pem, path)| (path, pem));
    let identity = match (&tls.cert_file, &tls.key_file) {
        (Some(cert_path), Some(key_path)) => {
            let cert = keep(
                read("cert_file", cert_path).and_then(|pem| certificates(cert_path, pem)),
                &mut problems,
            );
            let key = keep(
                read("key_file", key_path).and_then(|pem| private_key(key_path, pem)),
                &mut problems,
            );
            let pair = cert.as_ref().zip(key.as_ref());
            if let Some(Err(problem)) = pair.map(|(cert, key)| key_pair(cert_path, cert, key_path, key)) {
                problems.push(problem);
            }
            cert.zip(key).map(|(cert, key)| Identity {
                cert_path: cert_path.clone(),
                key_path: key_path.clone(),
                cert,
                key,
            })
        }
        (None, None) => None,
        (cert, _) => {
            let (set, unset) = match cert {
                Some(_) => ("cert_file", "key_file"),
                None => ("key_file", "cert_file"),
            };
            problems.push(Problem::at(
                unset,
                format!("`tls.{set}` needs `tls.{unset}`: the two go together; set both or neither"),
            ));
            None
        }
    };
    match problems.is_empty() {
        true => Ok(TlsFiles {
            ca,
            identity,
            accept_invalid_certs: tls.accept_invalid_certs,
        }),
        false => Err(problems),
    }
}

fn keep<T>(result: Result<T, Problem>, problems: &mut Vec<Problem>) -> Option<T> {
    result.map_err(|problem| problems.push(problem)).ok()
}

fn read(key: &'static str, path: &str) -> Result<(&'static str, Vec<u8>), Problem> {
    std::fs::read(path).map(|pem| (key, pem)).map_err(|e| {
        let path = shown(path);
        Problem::at(key, format!("`tls.{key}` {path}: cannot read it: {e}"))
    })
}

/// The PEM sections of a file, or why it is not PEM.
fn sections(key: &str, path: &str, pem: &[u8]) -> Result<Vec<SectionKind>, Problem> {
    let shown_path = shown(path);
    let path = &*shown_path;
    let mut reader = Cursor::new(pem);
    let mut kinds = Vec::new();
    loop {
        match pem::from_buf(&mut reader) {
            Ok(Some((kind, _))) => kinds.push(kind),
            Ok(None) => return Ok(kinds),
            Err(_) => {
                return Err(Problem::at(
                    key,
                    format!("`tls.{key}` {path}: not a PEM file (a block does not decode)"),
                ));
            }
        }
    }
}

/// Extra trust roots: at least one certificate (other blocks are skipped, as reqwest does).
fn ca_bundle(path: &str, (key, pem): (&str, Vec<u8>)) -> Result<Vec<u8>, Problem> {
    let shown_path = shown(path);
    let path = &*shown_path;
    let kinds = sections(key, path, &pem)?;
    match kinds.contains(&SectionKind::Certificate) {
        true => Ok(pem),
        false => Err(Problem::at(
            key,
            format!("`tls.{key}` {path}: holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)"),
        )),
    }
}

/// Whether a block may be part of a client identity: reqwest refuses one with any other block.
fn identity_block(kind: &SectionKind) -> bool {
    matches!(
        kind,
        SectionKind::Certificate
            | SectionKind::PrivateKey
            | SectionKind::RsaPrivateKey
            | SectionKind::EcPrivateKey
    )
}

/// A client certificate chain: at least one certificate, and no block an identity may not
/// hold (a file holding the certificate and its key serves as both `cert_file` and `key_file`).
fn certificates(path: &str, (key, pem): (&str, Vec<u8>)) -> Result<Vec<u8>, Problem> {
    let shown_path = shown(path);
    let path = &*shown_path;
    let kinds = sections(key, path, &pem)?;
    match kinds.contains(&SectionKind::Certificate) && kinds.iter().all(identity_block) {
        true => Ok(pem),
        false => Err(Problem::at(
            key,
            format!(
                "`tls.{key}` {path}: must hold PEM certificates (`-----BEGIN CERTIFICATE-----`) and no other kind of block"
            ),
        )),
    }
}

/// A private key (PKCS#8, PKCS#1 or SEC1), and no block an identity may not hold.
fn private_key(path: &str, (key, pem): (&str, Vec<u8>)) -> Result<Vec<u8>, Problem> {
    let shown_path = shown(path);
    let path = &*shown_path;
    let kinds = sections(key, path, &pem)?;
    let found = PrivateKeyDer::from_pem_slice(&pem).is_ok();
    match found && kinds.iter().all(identity_block) {
        true => Ok(pem),
        false => Err(Problem::at(
            key,
            format!(
                "`tls.{key}` {path}: must hold a PEM private key (`-----BEGIN PRIVATE KEY-----`) and no other kind of block"
            ),
        )),
    }
}

/// A file's path as a message shows it: a path is no secret, but one shaped like a URL with a
/// password (`scheme://user:password@host`, a value pasted into the wrong key) is shown without
/// the password.
fn shown(path: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = path.find("://").map(|i| i + 3) else {
        return path.into();
    };
    let rest = &path[start..];
    let Some(at) = rest.find('@') else {
        return path.into();
    };
    match rest[..at].find(':') {
        Some(colon) => format!("{}:[redacted]{}", &path[..start + colon], &rest[at..]).into(),
        None => path.into(),
    }
}

/// Whether the key is the certificate's own, as rustls checks it when a TLS client is built
/// (reqwest, tonic and redis would all refuse the pair at `connect`); a key rustls cannot load
/// is refused too. Neither message shows a file's contents.
#[cfg(any(feature = "http", feature = "otlp", feature = "redis", feature = "websocket"))]
fn key_pair(cert_path: &str, cert: &[u8], key_path: &str, key: &[u8]) -> Result<(), Problem> {
    use rustls::sign::CertifiedKey;
    use rustls_pki_types::CertificateDer;

    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
        .filter_map(Result::ok)
        .collect();
    let (Ok(key), false) = (PrivateKeyDer::from_pem_slice(key), chain.is_empty()) else {
        // Already reported by `certificates` or `private_key`.
        return Ok(());
    };
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let (cert_path, key_path) = (shown(cert_path), shown(key_path));
    match CertifiedKey::from_der(chain, key, &provider) {
        Ok(_) => Ok(()),
        Err(rustls::Error::InconsistentKeys(_)) => Err(Problem::at(
            "key_file",
            format!(
                "`tls.key_file` {key_path}: is not the key of the certificate in `tls.cert_file` {cert_path}"
            ),
        )),
        Err(e) => Err(Problem::at(
            "key_file",
            format!(
                "`tls.key_file` {key_path}: the TLS library cannot use it with `tls.cert_file` {cert_path}: {e}"
            ),
        )),
    }
}

/// No protocol of this build speaks TLS: nothing builds a client from the pair.
#[cfg(not(any(feature = "http", feature = "otlp", feature = "redis", feature = "websocket")))]
fn key_pair(_: &str, _: &[u8], _: &str, _: &[u8]) -> Result<(), Problem> {
    Ok(())
}
