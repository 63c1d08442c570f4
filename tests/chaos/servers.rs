//! A private `redis-server` for the chaos scenarios, on a free port in a temp dir, never the
//! shared one; killed when its guard is dropped, so a failing test leaves no server behind.
//! Without the binary, `start` says why and the caller skips. The private PostgreSQL is shared
//! with `tests/sql`: `tests/support/private_postgres.rs`.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::private_postgres::free_port;

fn wait_listening(port: u16, child: &mut Option<Child>, what: &str) -> Result<(), String> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
            return Err(format!("{what} exited at start: {status}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("{what} did not listen on {port} within 10 s"))
}

/// `redis-server --port N --save "" --appendonly no`, killed on drop.
pub struct PrivateRedis {
    port: u16,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl PrivateRedis {
    pub fn start() -> Result<PrivateRedis, String> {
        let binary = on_path("redis-server").ok_or("no `redis-server` on PATH")?;
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port();
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run redis-server: {e}"))?;
        let mut server = PrivateRedis {
            port,
            child: Some(child),
            _dir: dir,
        };
        wait_listening(port, &mut server.child, "redis-server")?;
        Ok(server)
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
