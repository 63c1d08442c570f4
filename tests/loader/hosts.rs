//! `hosts`, a table of single hosts, through the loader: its file tables, its one env variable
//! (JSON), its problems at their paths with their sources, and its header secrets never shown.

use connfx::ValueSource;
use connfx::prelude::*;

use crate::sandbox::Sandbox;
use crate::{Shop, orders_url};

const SECRET: &str = "host-s3cret";

#[test]
fn hosts_read_from_file_tables_and_the_env_json() {
    let sandbox = Sandbox::new();
    let file = sandbox.file(
        "shop.toml",
        "[payments]\nper_host = true\n\
         [payments.hosts.\"api.deepseek.example\"]\n\
         headers = { \"anthropic-version\" = \"2024-01-01\" }\n\
         timeout = \"60s\"\n\
         circuit_breaker = { failure_threshold = 3, reset_timeout = \"30s\" }\n",
    );
    let sources = Sources::new().file(&file).env_map([orders_url()]);
    let config = Shop::load_config_from(sources).unwrap();
    let host = &config.payments.hosts["api.deepseek.example"];
    assert_eq!(host.headers.0["anthropic-version"], "2024-01-01");
    assert_eq!(
        host.timeout.as_ref().unwrap().total,
        std::time::Duration::from_secs(60)
    );
    assert_eq!(host.circuit_breaker.as_ref().unwrap().failure_threshold, 3);
    assert!(host.rate_limit.is_none());

    let json = format!(
        r#"{{"api.anthropic.com": {{"headers": {{"x-api-key": "{SECRET}"}}, "rate_limit": {{"requests": 60, "per": "1m"}}}}}}"#
    );
    let sources = Sources::new()
        .file(&file)
        .env_map([orders_url(), ("SHOP_PAYMENTS_HOSTS", json.as_str())]);
    let config = Shop::load_config_from(sources.clone()).unwrap();
    assert!(
        !config.payments.hosts.contains_key("api.deepseek.example"),
        "env replaces the file's table"
    );
    let host = &config.payments.hosts["api.anthropic.com"];
    assert_eq!(host.rate_limit.as_ref().unwrap().requests, 60);
    assert!(!format!("{config:?}").contains(SECRET));

    let settings = connfx::config::explain::<Shop>(sources).unwrap();
    let hosts = settings
        .iter()
        .find(|s| s.path == "payments.hosts")
        .expect("explained");
    assert_eq!(hosts.source, ValueSource::Env("SHOP_PAYMENTS_HOSTS".into()));
    assert!(!format!("{settings:?}").contains(SECRET), "{settings:?}");
    let names: Vec<String> = Shop::env_vars().into_iter().map(|v| v.name).collect();
    assert!(names.contains(&"SHOP_PAYMENTS_HOSTS".to_owned()), "{names:?}");
}

#[test]
fn hosts_problems_name_their_path_and_source() {
    let json = format!(
        r#"{{"https://bad.example": {{}}, "ok.example": {{"headers": {{"x-api-key": "{SECRET}\n"}}, "rate_limit": {{"requests": 0}}}}}}"#
    );
    let sources = Sources::new().env_map([
        orders_url(),
        ("SHOP_PAYMENTS_PER_HOST", "true"),
        ("SHOP_PAYMENTS_HOSTS", json.as_str()),
    ]);
    let err = Shop::load_config_from(sources).unwrap_err();
    let text = err.to_string();
    let issue = |path: &str| {
        err.issues()
            .iter()
            .find(|i| i.path() == path)
            .unwrap_or_else(|| panic!("{path} in\n{text}"))
    };
    let env = ValueSource::Env("SHOP_PAYMENTS_HOSTS".into());
    let bad_key = issue("payments.hosts.\"https://bad.example\"");
    assert_eq!(bad_key.source(), &env, "{text}");
    assert!(bad_key.message().contains("names a scheme"), "{text}");
    let requests = issue("payments.hosts.\"ok.example\".rate_limit.requests");
    assert_eq!(requests.source(), &env, "{text}");
    issue("payments.hosts.\"ok.example\".headers");
    assert!(!text.contains(SECRET), "{text}");
}

#[test]
fn hosts_need_per_host() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("shop.toml", "[payments.hosts.\"a.example\"]\ntimeout = \"5s\"\n");
    let sources = Sources::new().file(&file).env_map([orders_url()]);
    let err = Shop::load_config_from(sources).unwrap_err();
    let text = err.to_string();
    let issue = err
        .issues()
        .iter()
        .find(|i| i.path() == "payments.hosts")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(issue.source(), &ValueSource::File(file.clone()), "{text}");
    assert!(issue.message().contains("per_host = true"), "{text}");
}

#[test]
fn a_value_of_the_wrong_type_is_blamed_on_its_host_and_source() {
    let sources = Sources::new().env_map([
        orders_url(),
        ("SHOP_PAYMENTS_PER_HOST", "true"),
        (
            "SHOP_PAYMENTS_HOSTS",
            r#"{"a.example": {"rate_limit": {"requests": "x"}}}"#,
        ),
    ]);
    let err = Shop::load_config_from(sources).unwrap_err();
    let text = err.to_string();
    let issue = err.issues().first().unwrap_or_else(|| panic!("{text}"));
    assert_eq!(issue.path(), "payments.hosts.\"a.example\"", "{text}");
    assert_eq!(
        issue.source(),
        &ValueSource::Env("SHOP_PAYMENTS_HOSTS".into()),
        "{text}"
    );
    assert!(issue.message().contains("expected u32"), "{text}");
}

/// Found by the `loader` fuzz target (session 16): a token written under `hosts` where `headers`
/// was meant was quoted whole in serde's "invalid type" message.
#[test]
fn a_token_written_where_a_host_belongs_is_never_shown() {
    let sandbox = Sandbox::new();
    let file = sandbox.file(
        "shop.toml",
        &format!("[payments]\nper_host = true\n[payments.hosts]\nAuthorization = \"Bearer {SECRET}\"\n"),
    );
    let sources = Sources::new().file(&file).env_map([orders_url()]);
    let err = Shop::load_config_from(sources).unwrap_err();
    let text = err.to_string();
    assert!(!text.contains(SECRET), "{text}");
    let issue = err.issues().first().unwrap_or_else(|| panic!("{text}"));
    assert_eq!(issue.path(), "payments.hosts.\"Authorization\"", "{text}");
    assert!(issue.message().contains("invalid type: string"), "{text}");
}
