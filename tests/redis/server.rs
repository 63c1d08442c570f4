//! A private `redis-server` for fault tests: its own port and temp dir, no persistence, killed
//! and restarted at will, killed on drop. The shared server is never touched.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `redis-server` binary on `PATH`, or `None` after saying `test` was skipped.
pub fn binary(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("redis-server"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        crate::services::skipped(test, "no `redis-server` on PATH");
    }
    found
}

pub use crate::ports::closed_port as free_port;

/// One private server; [`PrivateRedis::stop`] and [`PrivateRedis::start`] keep its port.
pub struct PrivateRedis {
    binary: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    extra: Vec<String>,
    child: Option<Child>,
}

impl PrivateRedis {
    /// A server to be started on `port` with `extra` arguments (not started yet).
    pub fn new(binary: PathBuf, port: u16, extra: &[&str]) -> Self {
        PrivateRedis {
            binary,
            dir: tempfile::tempdir().expect("temp dir"),
            port,
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
            child: None,
        }
    }

    /// Starts a plain server on a free port and waits until it accepts connections.
    pub fn started(binary: PathBuf, extra: &[&str]) -> Self {
        let mut server = PrivateRedis::new(binary, free_port(), extra);
        server.start();
        server
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The temp dir the server runs in (for TLS files).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Starts the server (plain TCP on the port unless `extra` says otherwise) and waits at
    /// most 10 s until the port accepts connections.
    pub fn start(&mut self) {
        if let Err(why) = self.try_start() {
            panic!("{why}");
        }
    }

    /// [`start`](PrivateRedis::start), saying why the server did not come up.
    pub fn try_start(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "already running");
        let port = self.port.to_string();
        let mut command = Command::new(&self.binary);
        let tls = self.extra.iter().any(|a| a == "--tls-port");
        if !tls {
            command.args(["--port", &port]);
        }
        command
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(&self.extra)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.child = Some(
            command
                .spawn()
                .map_err(|e| format!("cannot run redis-server: {e}"))?,
        );
        self.wait_until_listening()
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!("redis-server exited at start: {status}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "redis-server did not listen on {} within 10 s",
            self.port
        ))
    }

    /// Kills the server (SIGKILL) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` (`STOP`, `CONT`) to the running server.
    pub fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("running");
        let status = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_ref() {
            // A stopped process must be woken to die cleanly; ignore errors, it may be gone.
            let _ = Command::new("kill")
                .args(["-CONT".to_owned(), child.id().to_string()])
                .status();
        }
        self.stop();
    }
}
