//! Private servers for the chaos scenarios: a `redis-server` and a PostgreSQL cluster of their
//! own, on free ports in temp dirs, never the shared ones. Each is killed (or stopped) when its
//! guard is dropped, so a failing test leaves no server behind. Without the binaries, `start`
//! says why and the caller skips.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that nothing listens on (free when asked).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

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

/// A PostgreSQL cluster in a temp dir (`initdb`, `pg_ctl`), run as the `postgres` user when the
/// suite runs as root (PostgreSQL refuses root). Stopped (`-m immediate`) on drop.
pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl PrivatePostgres {
    pub fn start() -> Result<PrivatePostgres, String> {
        let bin = postgres_bin().ok_or("no /usr/lib/postgresql/*/bin with initdb and pg_ctl")?;
        let as_postgres = uid()? == "0";
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(dir.path()), "chown")?;
        }
        let server = PrivatePostgres {
            data: dir.path().join("data"),
            port: free_port(),
            bin,
            as_postgres,
            _dir: dir,
        };
        let data = server.data.display().to_string();
        let init = [
            "-D",
            &data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ];
        server.pg("initdb", &init)?;
        let sockets = server
            .data
            .parent()
            .unwrap_or(Path::new("/tmp"))
            .display()
            .to_string();
        // fsync off: the suite's data is thrown away, and the CI disk is shared.
        let options = format!(
            "-p {} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
            server.port
        );
        let log = server.data.with_file_name("server.log").display().to_string();
        let start = ["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "30", "start"];
        server.pg("pg_ctl", &start)?;
        Ok(server)
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Runs a PostgreSQL program, as `postgres` when needed, bounded by `timeout 60`.
    fn pg(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let mut command = Command::new("timeout");
        command.arg("60");
        if self.as_postgres {
            command.args(["runuser", "-u", "postgres", "--"]);
        }
        run(command.arg(self.bin.join(program)).args(args), program)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = self.pg(
            "pg_ctl",
            &["-D", &data, "-m", "immediate", "-w", "-t", "30", "stop"],
        );
    }
}

fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

fn uid() -> Result<String, String> {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("id -u: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(format!("{what} failed ({}): {}", out.status, stderr.trim()))
}
