//! `schemas/` holds the JSON Schemas that deployment configs are checked against in CI. This
//! test regenerates them and fails if a committed one is stale.
//!
//! To update them after a change: `CONNFX_BLESS=1 cargo test --test schemas`.

#[allow(dead_code)]
#[path = "../../examples/quickstart/conns.rs"]
mod quickstart;

#[allow(dead_code)]
#[path = "../../examples/ops/conns.rs"]
mod ops;

mod agree;

use std::path::PathBuf;

fn check(name: &str, schema: serde_json::Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(format!("{name}.schema.json"));
    let fresh = serde_json::to_string_pretty(&schema).expect("schema serializes") + "\n";
    if std::env::var_os("CONNFX_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale; regenerate it with `CONNFX_BLESS=1 cargo test --test schemas` and commit it",
        path.display()
    );
}

#[test]
fn quickstart_schema_is_current() {
    check("quickstart", quickstart::Conns::json_schema());
}

#[test]
fn ops_schema_is_current() {
    check("ops", ops::Conns::json_schema());
}

#[test]
fn registry_schema_is_current() {
    check("registry", connfx::registry::RegistryConfig::json_schema());
}
