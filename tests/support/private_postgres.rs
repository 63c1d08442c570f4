//! A PostgreSQL cluster of a test's own, for tests that stop, restart or break the server: in a
//! temp dir on a free port of 127.0.0.1 (`initdb`, `pg_ctl`), never the shared one. Run as the
//! `postgres` user when the tests run as root (PostgreSQL refuses root). Stopped when dropped,
//! so a failing test leaves no server behind. Without the binaries, `start` says why and the
//! caller skips. Used by `tests/sql` (a restart) and `tests/chaos` (faults in front of it).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A private PostgreSQL cluster: trust authentication, user `postgres`, database `postgres`.
pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl PrivatePostgres {
    /// Sets up and starts the cluster, or says why it cannot here.
    pub fn start() -> Result<PrivatePostgres, String> {
        let bin = bin_dir().ok_or("no /usr/lib/postgresql/*/bin with initdb and pg_ctl")?;
        let as_postgres = is_root()?;
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
        server.up()?;
        Ok(server)
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `pg_ctl start`, waiting (at most 30 s) until it accepts connections.
    pub fn up(&self) -> Result<(), String> {
        let sockets = self
            .data
            .parent()
            .unwrap_or(Path::new("/tmp"))
            .display()
            .to_string();
        // fsync off: the data is thrown away, and the CI disk is shared.
        let options = format!(
            "-p {} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port
        );
        let log = self.data.with_file_name("server.log").display().to_string();
        let data = self.data.display().to_string();
        let start = ["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "30", "start"];
        self.pg("pg_ctl", &start)
    }

    /// `pg_ctl stop -m fast`, waiting (at most 30 s) until it is down.
    #[allow(dead_code)] // used by tests/sql, not tests/chaos
    pub fn down(&self) -> Result<(), String> {
        self.stop("fast")
    }

    fn stop(&self, mode: &str) -> Result<(), String> {
        let data = self.data.display().to_string();
        self.pg("pg_ctl", &["-D", &data, "-m", mode, "-w", "-t", "30", "stop"])
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
        let _ = self.stop("immediate");
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb` and `pg_ctl`.
fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

pub use crate::ports::closed_port as free_port;

fn is_root() -> Result<bool, String> {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("id -u: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(format!("{what} failed ({}): {}", out.status, stderr.trim()))
}
