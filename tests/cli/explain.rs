//! `explain`: every effective setting with its value and where it came from, aligned.

use connfx::Sources;
use connfx::cli::Outcome;

use crate::sandbox::Sandbox;
use crate::{json, shop};

/// The cells of the row for `path`.
fn row<'a>(out: &'a str, path: &str) -> Vec<&'a str> {
    let line = out
        .lines()
        .find(|l| l.split("  ").next() == Some(path))
        .unwrap_or_else(|| panic!("no `{path}` row in:\n{out}"));
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

#[tokio::test]
async fn each_value_with_its_source_in_aligned_columns() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("shop.toml", "[catalog]\nuser_agent = \"shop/1.0\"\n");
    let sources = Sources::new()
        .file(&file)
        .env_map([("SHOP_ORDERS_URL", "sqlite::memory:")]);
    let (outcome, out) = shop(&["explain"], sources).await;
    assert_eq!(outcome, Outcome::Ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["SETTING", "VALUE", "SOURCE"]
    );
    let file = format!("file {}", file.display());
    assert_eq!(
        row(&out, "catalog.url"),
        ["catalog.url", "http://127.0.0.1:9/api", "attribute Shop"]
    );
    assert_eq!(
        row(&out, "catalog.user_agent"),
        ["catalog.user_agent", "shop/1.0", file.as_str()]
    );
    assert_eq!(
        row(&out, "catalog.retry.max_attempts"),
        ["catalog.retry.max_attempts", "3", "attribute Shop"]
    );
    assert_eq!(
        row(&out, "catalog.retry.multiplier"),
        ["catalog.retry.multiplier", "2.0", "default"]
    );
    assert_eq!(
        row(&out, "orders.url"),
        ["orders.url", "sqlite::memory:", "env SHOP_ORDERS_URL"]
    );
    // Columns start where the header's do, on every line.
    let (value_at, source_at) = (lines[0].find("VALUE").unwrap(), lines[0].find("SOURCE").unwrap());
    for line in &lines[1..] {
        assert_eq!(line.as_bytes()[value_at - 1], b' ', "{line}");
        assert_ne!(line.as_bytes()[value_at], b' ', "{line}");
        assert_ne!(line.as_bytes()[source_at], b' ', "{line}");
    }
    // A policy nobody set is left out; an optional connection nobody configured too.
    assert!(
        !out.contains("circuit_breaker") && !out.contains("\naudit."),
        "{out}"
    );
}

#[tokio::test]
async fn a_broken_config_is_reported_as_check_does() {
    let sources = Sources::new().env_map([
        ("SHOP_ORDERS_URL", "sqlite::memory:"),
        ("SHOP_CATALOG_RETRY_MAX_ATTEMPTS", "0"),
    ]);
    let (outcome, explained) = shop(&["explain"], sources.clone()).await;
    let (_, checked) = shop(&["check"], sources).await;
    assert_eq!(outcome, Outcome::Invalid);
    assert_eq!(explained, checked);
}

#[tokio::test]
async fn json_lists_the_settings() {
    let sources = Sources::new().env_map([("SHOP_ORDERS_URL", "sqlite::memory:")]);
    let (_, out) = shop(&["explain", "--format", "json"], sources).await;
    let doc = json(&out);
    assert_eq!(doc["valid"], true);
    let settings = doc["settings"].as_array().unwrap();
    let url = settings.iter().find(|s| s["path"] == "orders.url").unwrap();
    assert_eq!(
        url,
        &serde_json::json!({"path": "orders.url", "value": "sqlite::memory:", "source": {"kind": "env", "name": "SHOP_ORDERS_URL"}})
    );
}
