//! SQL connections against real databases: SQLite in memory, the shared PostgreSQL and MariaDB
//! (`CONNFX_TEST_POSTGRES_URL`, `CONNFX_TEST_MYSQL_URL`), closed ports, and a private PostgreSQL
//! that a test stops and starts again.

#[path = "../support/ports.rs"]
mod ports;
#[path = "../support/private_postgres.rs"]
mod private_postgres;
#[path = "../support/services.rs"]
mod services;

mod causes;
mod limits;
mod policies;
mod reload;
mod restart;
mod servers;
mod sqlite;

use connfx::{Connection, SqlConfig, SqlConnection};
use serde_json::{Value, json};

/// A config for `url` with the JSON `extra` keys merged in.
fn config(url: &str, extra: Value) -> SqlConfig {
    let mut value = json!({ "url": url });
    if let (Some(target), Value::Object(extra)) = (value.as_object_mut(), extra) {
        target.extend(extra);
    }
    serde_json::from_value(value).unwrap()
}

async fn connect(name: &str, url: &str, extra: Value) -> SqlConnection {
    SqlConnection::connect(name, config(url, extra)).await.unwrap()
}

/// A name no other test run uses at the same time (tables live in shared databases).
fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("connfx_{tag}_{}_{nanos}", std::process::id())
}

use ports::closed_port;

/// `url` with its user-info replaced by `user:password`.
fn with_credentials(url: &str, user: &str, password: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_username(user).unwrap();
    url.set_password(Some(password)).unwrap();
    url.to_string()
}

/// `url` with its database (path) replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_path(database);
    url.to_string()
}
