//! The shared servers the service tests talk to, found through environment variables that
//! `.ci/run` exports. Without one, a test says on stderr that it did not run (stderr written
//! directly, so `cargo test` shows it even for a passing test) and returns early.
//!
//! | variable | `.ci/run` sets it to |
//! |---|---|
//! | `CONNFX_TEST_REDIS_URL` | `redis://127.0.0.1:6379` |
//! | `CONNFX_TEST_POSTGRES_URL` | `postgres://postgres@127.0.0.1:5432/test` |
//! | `CONNFX_TEST_MYSQL_URL` | `mysql://root@127.0.0.1:3306/test` |
//! | `CONNFX_TEST_PYTHON` | a Python with `websockets` (a venv `.ci/run` makes) |

#![allow(dead_code)] // each test binary uses the services it needs

use std::io::Write;

/// The URL of a shared Redis, or `None` after saying `test` was skipped.
pub fn redis(test: &str) -> Option<String> {
    url("CONNFX_TEST_REDIS_URL", test)
}

/// The URL of a shared PostgreSQL, or `None` after saying `test` was skipped.
pub fn postgres(test: &str) -> Option<String> {
    url("CONNFX_TEST_POSTGRES_URL", test)
}

/// The URL of a shared MySQL/MariaDB, or `None` after saying `test` was skipped.
pub fn mysql(test: &str) -> Option<String> {
    url("CONNFX_TEST_MYSQL_URL", test)
}

/// The value of `var`, or `None` after telling the person running the tests that `test` did
/// not run and how to run it.
pub fn url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skipped(test, &format!("{var} is not set (`bash .ci/run` sets it)"));
            None
        }
    }
}

/// Says on stderr, past the test harness's capture, that `test` did not run and why.
pub fn skipped(test: &str, why: &str) {
    let line = format!("SKIPPED service test `{test}`: {why}\n");
    // Written to the stream directly: `eprintln!` would be captured and hidden for a passing test.
    let _ = std::io::stderr().write_all(line.as_bytes());
}
