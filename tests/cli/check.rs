//! `check` without `--probe`: exit 0 with a summary, or exit 2 with every problem on its own line.

use connfx::Sources;
use connfx::cli::Outcome;

use crate::sandbox::Sandbox;
use crate::{json, orders_in_memory, shop};

#[tokio::test]
async fn a_valid_config_prints_one_line_and_names_what_is_left_out() {
    let (outcome, out) = shop(&["check"], orders_in_memory()).await;
    assert_eq!(outcome, Outcome::Ok);
    assert_eq!(
        out,
        "valid: the configuration of `Shop` has no problems; not configured (optional): audit\n"
    );

    let with_audit = orders_in_memory().env_map([("SHOP_AUDIT_URL", "http://127.0.0.1:9/audit")]);
    let (outcome, out) = shop(&["check"], with_audit).await;
    assert_eq!(outcome, Outcome::Ok);
    assert_eq!(out, "valid: the configuration of `Shop` has no problems\n");
}

#[tokio::test]
async fn a_broken_config_prints_every_problem_and_exits_2() {
    let sandbox = Sandbox::new();
    let file = sandbox.file(
        "shop.toml",
        "[catalog.retry]\nmax_attempts = \"three\"\n\n[orders]\nurl = \"sqlite::memory:\"\npool = { max_size = 0 }\n",
    );
    let sources = Sources::new().file(&file).env_map([
        ("SHOP_CATALOG_TIMEOUT_TOTAL", "soon"),
        ("SHOP_AUDIT_URLL", "http://127.0.0.1:9"),
    ]);
    let (outcome, out) = shop(&["check"], sources).await;
    assert_eq!(outcome, Outcome::Invalid);
    assert_eq!(outcome.code(), 2);
    let file = file.display();
    let expected = [
        format!("catalog.retry.max_attempts (file {file}): expected a whole number, found `\"three\"`"),
        format!("orders.pool.max_size (file {file}): `max_size` must be between 1 and 100000, found 0"),
        "catalog.timeout.total (env SHOP_CATALOG_TIMEOUT_TOTAL): expected a duration such as `250ms`, `30s` or `1m30s`, found `\"soon\"`".to_owned(),
        "audit.url (env SHOP_AUDIT_URLL): `SHOP_AUDIT_URLL` is not a setting; did you mean `SHOP_AUDIT_URL`?".to_owned(),
        "invalid: 4 problems in the configuration of `Shop`".to_owned(),
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{out}");
}

#[tokio::test]
async fn a_file_that_does_not_parse_is_one_problem_without_a_path() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("shop.toml", "[catalog\nurl = 1\n");
    let sources = orders_in_memory().file(&file);
    let (outcome, out) = shop(&["check"], sources).await;
    assert_eq!(outcome, Outcome::Invalid);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with(&format!("file {}: ", file.display())),
        "{out}"
    );
    assert_eq!(lines[1], "invalid: 1 problem in the configuration of `Shop`");
}

#[tokio::test]
async fn a_missing_required_key_says_which_variable_to_set() {
    let (outcome, out) = shop(&["check"], Sources::new()).await;
    assert_eq!(outcome, Outcome::Invalid);
    assert_eq!(
        out,
        "orders.url (default): `url` has no value; give it in the attribute, a config file, or `SHOP_ORDERS_URL`\n\
         invalid: 1 problem in the configuration of `Shop`\n"
    );
}

#[tokio::test]
async fn json_lists_the_issues_or_the_connections() {
    let bad = Sources::new().env_map([
        ("SHOP_ORDERS_URL", "sqlite::memory:"),
        ("SHOP_CATALOG_RETRY_MAX_ATTEMPTS", "0"),
    ]);
    let (outcome, out) = shop(&["check", "--format", "json"], bad).await;
    assert_eq!(outcome, Outcome::Invalid);
    assert_eq!(
        json(&out),
        serde_json::json!({
            "set": "Shop",
            "valid": false,
            "issues": [{
                "path": "catalog.retry.max_attempts",
                "source": {"kind": "env", "name": "SHOP_CATALOG_RETRY_MAX_ATTEMPTS"},
                "message": "`max_attempts` must be between 1 and 100, found 0",
            }],
        })
    );

    let (outcome, out) = shop(&["check", "--format", "json"], orders_in_memory()).await;
    assert_eq!(outcome, Outcome::Ok);
    assert_eq!(
        json(&out),
        serde_json::json!({
            "set": "Shop",
            "valid": true,
            "issues": [],
            "connections": [
                {"name": "catalog", "protocol": "http", "optional": false, "configured": true},
                {"name": "orders", "protocol": "sql", "optional": false, "configured": true},
                {"name": "audit", "protocol": "http", "optional": true, "configured": false},
            ],
        })
    );
}

/// Issue 14, item 6: what `connect` or the first health check would refuse fails `check`
/// without `--probe`, each problem at its key and source, no secret shown.
#[tokio::test]
async fn check_without_probe_refuses_what_connect_would_refuse() {
    let sandbox = Sandbox::new();
    let file = sandbox.file(
        "shop.toml",
        "[catalog.auth]\nbearer = \"t0ken\"\napi_key = \"k3y-v4lue\"\n\n[catalog.health]\npath = \"https://elsewhere.example/up\"\n",
    );
    let sources = orders_in_memory().file(&file).env_map([
        ("SHOP_ORDERS_URL", "sqlite::memory:"),
        ("SHOP_CATALOG_TLS_CA_FILE", "/nonexistent/ca.pem"),
        ("SHOP_CATALOG_USER_AGENT", "shop/1\nX-Evil: 1"),
        ("SHOP_CATALOG_HEADERS", r#"{"X-Token": "s3cret\nX-Evil: 1"}"#),
    ]);
    let (outcome, out) = shop(&["check"], sources).await;
    assert_eq!(outcome, Outcome::Invalid, "{out}");
    let file = file.display();
    let lines: Vec<&str> = out.lines().collect();
    let expected = [
        format!("catalog.auth (file {file}): set at most one of `bearer`, `username`, `api_key`, `oauth2`"),
        "catalog.headers (env SHOP_CATALOG_HEADERS): `headers`: the value of `X-Token` holds a character a header value may not".to_owned(),
        format!("catalog.health.path (file {file}): `health.path`: request path must be relative to the base URL, found an absolute URL"),
        "catalog.tls.ca_file (env SHOP_CATALOG_TLS_CA_FILE): `tls.ca_file` /nonexistent/ca.pem: cannot read it: No such file or directory (os error 2)".to_owned(),
        "catalog.user_agent (env SHOP_CATALOG_USER_AGENT): `user_agent` holds a character a header value may not (such as a line break)".to_owned(),
        "invalid: 5 problems in the configuration of `Shop`".to_owned(),
    ];
    assert_eq!(lines, expected, "{out}");
    for secret in ["t0ken", "k3y-v4lue", "s3cret"] {
        assert!(!out.contains(secret), "`{secret}` shown: {out}");
    }
}
