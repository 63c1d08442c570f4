//! A private PostgreSQL, started in a temp dir on a free port, that the test stops and starts
//! again: health goes Error (with the cause) and back to Ready on the same connection object.
//! The shared server is never touched.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use connfx::sqlx::{self, PgPool};
use connfx::{Connection, HealthState};
use serde_json::json;

use super::{closed_port, connect, services};

const TEST: &str = "private_postgres_stops_and_comes_back";

/// A PostgreSQL cluster of its own, run as the `postgres` user when the test runs as root
/// (`initdb` refuses root). Stopped and removed on drop.
struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl PrivatePostgres {
    /// Sets up and starts the cluster, or says why it cannot here.
    fn start() -> Result<Self, String> {
        let bin = find_bin().ok_or("no /usr/lib/postgresql/*/bin/initdb")?;
        let as_postgres = is_root()?;
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(dir.path()), "chown")?;
        }
        let server = PrivatePostgres {
            data: dir.path().join("data"),
            port: closed_port(),
            bin,
            as_postgres,
            _dir: dir,
        };
        let data = server.data.display().to_string();
        server.pg(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )?;
        server.up()?;
        Ok(server)
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres:Private-Pg-Secret@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// `pg_ctl start`, waiting (at most 30 s) until it accepts connections.
    fn up(&self) -> Result<(), String> {
        let socket_dir = self
            .data
            .parent()
            .unwrap_or(Path::new("/tmp"))
            .display()
            .to_string();
        let options = format!("-p {} -k {socket_dir} -c listen_addresses=127.0.0.1", self.port);
        let log = self.data.with_file_name("server.log").display().to_string();
        let data = self.data.display().to_string();
        self.pg(
            "pg_ctl",
            &["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "30", "start"],
        )
    }

    /// `pg_ctl stop -m fast`, waiting (at most 30 s) until it is down.
    fn down(&self) -> Result<(), String> {
        let data = self.data.display().to_string();
        self.pg("pg_ctl", &["-D", &data, "-m", "fast", "-w", "-t", "30", "stop"])
    }

    /// Runs a PostgreSQL program, as `postgres` when needed, bounded by `timeout 60`.
    fn pg(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(program);
        let mut command = Command::new("timeout");
        command.arg("60");
        if self.as_postgres {
            command.args(["runuser", "-u", "postgres", "--"]);
        }
        run(command.arg(path).args(args), program)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.down();
    }
}

fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

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

#[tokio::test]
async fn private_postgres_stops_and_comes_back() {
    let server = match tokio::task::spawn_blocking(PrivatePostgres::start).await.unwrap() {
        Ok(server) => server,
        Err(why) => return services::skipped(TEST, &why),
    };
    let db = connect(
        "pg",
        &server.url(),
        json!({ "health": { "timeout": "2s" }, "pool": { "acquire_timeout": "1s" } }),
    )
    .await;
    let select =
        |pool: PgPool| async move { sqlx::query_scalar::<_, i32>("SELECT 7").fetch_one(&pool).await };
    assert_eq!(db.run_idempotent(select).await.unwrap(), 7);
    assert_eq!(db.health().await.state, HealthState::Ready);

    let server = tokio::task::spawn_blocking(move || server.down().map(|()| server))
        .await
        .unwrap()
        .unwrap();
    let health = db.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    let expected = format!("cannot connect to 127.0.0.1:{}: connection refused", server.port);
    assert!(health.message.contains(&expected), "{health:?}");
    assert!(!health.message.contains("Private-Pg-Secret"), "{health:?}");

    let server = tokio::task::spawn_blocking(move || server.up().map(|()| server))
        .await
        .unwrap()
        .unwrap();
    // The same connection object recovers: its pool drops the dead connection and opens anew.
    let mut health = db.health().await;
    for _ in 0..20 {
        if health.state == HealthState::Ready {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        health = db.health().await;
    }
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    assert_eq!(db.run_idempotent(select).await.unwrap(), 7);
    db.close().await;
    drop(server);
}
