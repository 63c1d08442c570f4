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
    let head: Vec<&str> = out.lines().take(7).collect();
    assert_eq!(
        head,
        [
            "# Environment of `Shop`: copy into an env file and fill in.",
            "# A commented line shows the default; uncomment it to change the value. Setting any key",
            "# of a policy (retry, circuit_breaker, rate_limit, bulkhead) turns that policy on.",
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
