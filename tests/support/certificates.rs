//! A test CA and certificates made with the `openssl` command, for tests that run TLS servers
//! of their own (`rediss://`, `https://`). A machine without `openssl` gets the reason, and the
//! caller skips.

use std::path::Path;
use std::process::{Command, Stdio};

/// Makes `ca.crt`, `server.{crt,key}` (for 127.0.0.1) and `client.{crt,key}` in `dir`.
pub fn certificates(dir: &Path) -> Result<(), String> {
    let run = |args: &[&str]| -> Result<(), String> {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run openssl: {e}"))?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("openssl {} failed", args[0]))
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "1", "-subj", "/CN=connfx test CA"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.crt"]);
    run(&ca)?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").map_err(|e| e.to_string())?;
    for (name, subject) in [("server", "/CN=localhost"), ("client", "/CN=connfx test client")] {
        let (key, csr, crt, ext) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("{name}.ext"),
        );
        let mut req = vec!["req", "-subj", subject];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr]);
        run(&req)?;
        run(&[
            "x509",
            "-req",
            "-days",
            "1",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-extfile",
            &ext,
            "-out",
            &crt,
        ])?;
    }
    Ok(())
}
