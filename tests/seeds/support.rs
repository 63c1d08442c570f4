//! Reading the seeds' examples: env blocks as a shell writes them, guides, loopback servers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The `NAME=value` lines of an env block as a shell file or a Go comment (`// NAME=value`)
/// writes them; comments and blank lines left out.
pub fn env_block(block: &str) -> Vec<(String, String)> {
    let is_name = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_uppercase())
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    };
    block
        .lines()
        .map(|line| line.trim().trim_start_matches("//").trim())
        .filter_map(|line| line.split_once('='))
        .filter(|(name, _)| is_name(name))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// The migration guide `docs/<name>`.
pub fn guide(name: &str) -> String {
    let path = format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Asserts that `guide` shows `example` as it is (the guide's examples are the tested ones).
pub fn shows(guide: &str, example: &str) {
    assert!(
        guide.contains(example.trim()),
        "the guide does not show:\n{example}"
    );
}

/// A loopback server that answers every request with 503, and how many requests it got.
pub async fn failing_upstream() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), hits)
}

/// Writes `content` to a file called `name` in `dir`.
pub fn file(dir: &tempfile::TempDir, name: &str, content: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write temp file");
    path
}
