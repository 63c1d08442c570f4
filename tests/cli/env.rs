//! `env`: the env-file template, one commented block per variable; only what must be given is
//! left uncommented.

use connfx::Sources;
use connfx::cli::Outcome;

use crate::{json, shop};

/// The lines of the block that assigns `name`: its comment lines and the assignment.
fn block<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = out.lines().collect();
    let end = lines
        .iter()
        .position(|l| l.trim_start_matches('#').starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no `{name}=` line in:\n{out}"));
    let start = lines[..end]
        .iter()
        .rposition(|l| l.is_empty())
        .map_or(0, |i| i + 1);
    lines[start..=end].to_vec()
}

#[tokio::test]
async fn the_template_has_a_block_per_variable() {
    let (outcome, out) = shop(&["env"], Sources::new()).await;
    assert_eq!(outcome, Outcome::Ok);
    let head: Vec<&str> = out.lines().take(9).collect();
    assert_eq!(
        head,
        [
            "# Environment of `Shop`: copy into an env file and fill in.",
            "# A commented line shows the value in force; uncomment it to change the value (as it",
            "# is, it changes nothing, but it would hide the value a config file gives). A policy",
            "# (retry, circuit_breaker, rate_limit, bulkhead) runs when its `_ENABLED` is true;",
            "# `_ENABLED=false` keeps it off whatever its other keys say.",
            "",
            "# A config file read after the built-in ones; it must exist. (path)",
            "#SHOP_CONFIG_FILE=",
            "",
        ]
    );
    assert!(out.contains("\n## catalog (http): The catalog API.\n"), "{out}");
    assert!(
        out.contains("\n## orders (sql): Orders database; no default URL.\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "\n## audit (http, optional: leave every variable unset to go without it): Optional audit API.\n"
        ),
        "{out}"
    );
    let url =
        "# Base URL; request paths are joined onto it, keeping its path (`http://h/api` + `/x` → `/api/x`).";
    let expected: [(&str, [String; 2]); 5] = [
        (
            "SHOP_ORDERS_URL",
            [
                "# Database URL; a password in it is never shown. (url, required unless a config file gives it)".into(),
                "SHOP_ORDERS_URL=".into(),
            ],
        ),
        (
            "SHOP_CATALOG_URL",
            [
                format!("{url} (url, default http://127.0.0.1:9/api)"),
                "#SHOP_CATALOG_URL=http://127.0.0.1:9/api".into(),
            ],
        ),
        (
            "SHOP_CATALOG_RETRY_MAX_ATTEMPTS",
            [
                "# Tries in all, the first one included (1 = no retry). (integer, default 3)".into(),
                "#SHOP_CATALOG_RETRY_MAX_ATTEMPTS=3".into(),
            ],
        ),
        (
            "SHOP_CATALOG_AUTH_BEARER",
            [
                "# Bearer token sent as `Authorization: Bearer …`. (secret)".into(),
                "#SHOP_CATALOG_AUTH_BEARER=".into(),
            ],
        ),
        // An optional connection's URL is required only once the connection is configured.
        ("SHOP_AUDIT_URL", [format!("{url} (url)"), "#SHOP_AUDIT_URL=".into()]),
    ];
    for (name, lines) in expected {
        assert_eq!(block(&out, name), lines, "{name}");
    }
}

#[tokio::test]
async fn every_variable_of_the_set_is_in_the_template_once() {
    let (_, out) = shop(&["env"], Sources::new()).await;
    for var in crate::Shop::env_vars() {
        let assignments = out
            .lines()
            .filter(|l| l.trim_start_matches('#').starts_with(&format!("{}=", var.name)))
            .count();
        assert_eq!(assignments, 1, "{}", var.name);
    }
}

#[tokio::test]
async fn json_lists_each_variable_with_whether_it_is_required() {
    let (outcome, out) = shop(&["env", "--format", "json"], Sources::new()).await;
    assert_eq!(outcome, Outcome::Ok);
    let doc = json(&out);
    assert_eq!(doc["set"], "Shop");
    assert_eq!(doc["config_file_var"], "SHOP_CONFIG_FILE");
    let vars = doc["variables"].as_array().unwrap();
    assert_eq!(vars.len(), crate::Shop::env_vars().len());
    let required: Vec<&str> = vars
        .iter()
        .filter(|v| v["required"] == true)
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(required, ["SHOP_ORDERS_URL"]);
    let url = vars.iter().find(|v| v["name"] == "SHOP_CATALOG_URL").unwrap();
    assert_eq!(url["path"], "catalog.url");
    assert_eq!(url["kind"], "url");
    assert_eq!(url["default"], "http://127.0.0.1:9/api");
    assert_eq!(url["secret"], false);
}

/// A policy's switch shows what runs: `true` for the catalog's retry (the attribute names it),
/// `false` for its breaker (nobody does).
#[tokio::test]
async fn each_policy_switch_shows_whether_it_runs() {
    let (_, out) = shop(&["env"], Sources::new()).await;
    let last = |name: &str| *block(&out, name).last().unwrap();
    assert_eq!(
        last("SHOP_CATALOG_RETRY_ENABLED"),
        "#SHOP_CATALOG_RETRY_ENABLED=true"
    );
    assert_eq!(
        last("SHOP_CATALOG_CIRCUIT_BREAKER_ENABLED"),
        "#SHOP_CATALOG_CIRCUIT_BREAKER_ENABLED=false"
    );
    assert_eq!(
        last("SHOP_ORDERS_BULKHEAD_ENABLED"),
        "#SHOP_ORDERS_BULKHEAD_ENABLED=false"
    );
}

/// Uncommenting every line of a required connection that shows a value, as it is, loads the
/// same config as setting nothing: no policy is switched on by its defaults.
#[tokio::test]
async fn uncommenting_every_default_changes_nothing() {
    let (_, out) = shop(&["env"], Sources::new()).await;
    let optional = "SHOP_AUDIT_";
    let uncommented: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("#SHOP_"))
        .filter_map(|l| l.split_once('='))
        .map(|(name, value)| (format!("SHOP_{name}"), value.to_owned()))
        .filter(|(name, value)| !value.is_empty() && !name.starts_with(optional))
        .collect();
    assert!(uncommented.len() > 50, "{uncommented:?}");
    let base = || crate::orders_in_memory();
    let plain = crate::Shop::load_config_from(base()).unwrap();
    let all = crate::Shop::load_config_from(base().env_map(uncommented)).unwrap();
    assert_eq!(running(&all), running(&plain));
    assert!(!all.catalog.circuit_breaker.as_ref().unwrap().enabled);
    assert!(plain.catalog.circuit_breaker.is_none());
    assert!(all.catalog.retry.as_ref().unwrap().enabled);
}

/// The config as it runs: a group switched off (`enabled = false`) is no policy, as if absent.
fn running(config: &impl serde::Serialize) -> serde_json::Value {
    fn prune(value: &mut serde_json::Value) {
        if let serde_json::Value::Object(map) = value {
            map.retain(|_, v| v.get("enabled") != Some(&serde_json::Value::Bool(false)));
            map.values_mut().for_each(prune);
        }
    }
    let mut value = serde_json::to_value(config).unwrap();
    prune(&mut value);
    value
}
