//! `#[setting]` fields beside connections: the same loader (attribute defaults < files < env),
//! the same errors naming path and source, in the schema, `env_vars()` and `explain`, typed
//! accessors, a secret hidden everywhere, and a reload that refuses to change a setting.

use std::io::Write;

use connfx::prelude::*;
use connfx::{Sources, ValueSource};
use serde::{Deserialize, Serialize};

/// Where the service listens.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, schemars::JsonSchema, validator::Validate)]
pub struct Listen {
    /// The host to bind.
    pub host: String,
    /// Seconds to drain calls on shutdown.
    #[validate(range(max = 600))]
    pub drain_seconds: u32,
}

/// A service with its plain settings beside its connection.
#[derive(Connections)]
#[connections(env_prefix = "SVC")]
pub struct Service {
    /// The upstream.
    #[connection(url = "http://127.0.0.1:9/api")]
    api: HttpConnection,
    /// The port to serve on.
    #[setting(default = 8080)]
    #[validate(range(min = 1024))]
    port: u16,
    /// Where to listen.
    #[setting]
    #[validate(nested)]
    listen: Listen,
    /// The key that signs session cookies.
    #[setting(secret)]
    signing_key: String,
    /// A log filter, if any.
    #[setting]
    log: Option<String>,
    /// Feature flags switched on.
    #[setting]
    features: Vec<String>,
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

const FILE: &str = r#"
signing_key = "hunter2-cookie-key"
features = ["beta"]

[listen]
host = "0.0.0.0"
drain_seconds = 30
"#;

#[tokio::test]
async fn settings_load_from_defaults_files_and_env_and_have_typed_accessors() {
    let file = file(FILE);
    let sources = Sources::new()
        .file(file.path())
        .env_map([("SVC_LISTEN_HOST", "127.0.0.1"), ("SVC_FEATURES", r#"["a","b"]"#)]);
    let config = Service::load_config_from(sources).unwrap();
    assert_eq!(config.port, 8080, "the attribute's default");
    let service = config.connect().await.unwrap();
    assert_eq!(service.port(), &8080);
    assert_eq!(
        service.listen(),
        &Listen {
            host: "127.0.0.1".into(),
            drain_seconds: 30
        },
        "env over file, key by key"
    );
    assert_eq!(service.signing_key(), "hunter2-cookie-key");
    assert_eq!(service.log(), None);
    assert_eq!(service.features(), &["a", "b"]);
    service.close().await;

    let sources = Sources::new()
        .file(file.path())
        .env_map([("SVC_PORT", "9090"), ("SVC_LOG", "debug")]);
    let config = Service::load_config_from(sources).unwrap();
    assert_eq!((config.port, config.log.as_deref()), (9090, Some("debug")));
}

#[test]
fn a_bad_setting_is_named_with_its_source_and_every_problem_is_reported() {
    let file = file(
        r#"
signing_key = "hunter2-cookie-key"
prot = 1
[listen]
host = "0.0.0.0"
drain_seconds = 601
"#,
    );
    let sources = Sources::new().file(file.path()).env_map([("SVC_PORT", "80")]);
    let error = Service::load_config_from(sources).unwrap_err();
    let text = error.to_string();
    let issue = |path: &str| {
        error
            .issues()
            .iter()
            .find(|i| i.path() == path)
            .unwrap_or_else(|| panic!("no issue at `{path}` in:\n{text}"))
    };
    assert!(issue("prot").message().contains("`port`"), "{text}");
    assert_eq!(issue("prot").source(), &ValueSource::File(file.path().into()));
    // The bound comes from the rule `range(min = 1024)`, through the schema, so the value is
    // refused as it arrives, blamed on its variable.
    assert_eq!(issue("port").source(), &ValueSource::Env("SVC_PORT".into()));
    assert!(issue("port").message().contains("1024"), "{text}");
    assert_eq!(
        issue("listen.drain_seconds").source(),
        &ValueSource::File(file.path().into())
    );
    assert!(!text.contains("hunter2"), "{text}");

    // Out of the type's range, and not a number at all.
    let good = file_ok();
    for (raw, expected) in [("70000", "65535"), ("eighty", "whole number")] {
        let sources = Sources::new().file(good.path()).env_map([("SVC_PORT", raw)]);
        let error = Service::load_config_from(sources).unwrap_err();
        assert_eq!(error.issues().len(), 1, "{error}");
        assert_eq!(error.issues()[0].path(), "port");
        assert!(error.issues()[0].message().contains(expected), "{error}");
    }

    // A required setting without a value names its variable.
    let error = Service::load_config_from(Sources::new()).unwrap_err();
    let missing = |path: &str| error.issues().iter().find(|i| i.path() == path).unwrap();
    assert!(
        missing("signing_key").message().contains("`SVC_SIGNING_KEY`"),
        "{error}"
    );
    assert!(missing("listen").message().contains("`SVC_LISTEN_*`"), "{error}");
}

fn file_ok() -> tempfile::NamedTempFile {
    file(FILE)
}

#[test]
fn settings_show_in_the_schema_env_vars_and_explain_with_the_secret_hidden() {
    let schema = Service::json_schema();
    let port = &schema["properties"]["port"];
    assert_eq!(port["default"], 8080, "{port}");
    assert_eq!(port["minimum"], 1024, "{port}");
    assert_eq!(port["description"], "The port to serve on.");
    let listen = &schema["properties"]["listen"];
    assert_eq!(listen["properties"]["drain_seconds"]["maximum"], 600, "{listen}");
    let key = &schema["properties"]["signing_key"];
    assert_eq!(key["writeOnly"], true, "{key}");
    assert!(schema["properties"]["api"].is_object());

    let vars = Service::env_vars();
    let var = |name: &str| {
        vars.iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(var("SVC_PORT").path, "port");
    assert_eq!(var("SVC_PORT").default.as_deref(), Some("8080"));
    assert_eq!(var("SVC_LISTEN_DRAIN_SECONDS").path, "listen.drain_seconds");
    assert!(var("SVC_SIGNING_KEY").secret);
    assert_eq!(var("SVC_FEATURES").kind.name(), "list");
    assert!(vars.iter().any(|v| v.name == "SVC_API_URL"));

    let file = file_ok();
    let sources = Sources::new().file(file.path()).env_map([("SVC_PORT", "9090")]);
    let settings = connfx::config::explain::<Service>(sources).unwrap();
    let setting = |path: &str| {
        settings
            .iter()
            .find(|s| s.path == path)
            .unwrap_or_else(|| panic!("{path}"))
    };
    assert_eq!(setting("port").value, "9090");
    assert_eq!(setting("port").source, ValueSource::Env("SVC_PORT".into()));
    assert_eq!(
        setting("listen.host").source,
        ValueSource::File(file.path().into())
    );
    assert_eq!(setting("signing_key").value, "[redacted]");

    let config = Service::load_config_from(Sources::new().file(file.path())).unwrap();
    let debug = format!("{config:?}");
    assert!(
        debug.contains("port: 8080") && !debug.contains("hunter2"),
        "{debug}"
    );
}

#[tokio::test]
async fn a_reload_that_changes_a_setting_is_refused_and_nothing_changes() {
    let file = file_ok();
    let service = Service::load_config_from(Sources::new().file(file.path()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let unchanged = service.reload(Sources::new().file(file.path())).await.unwrap();
    assert!(unchanged.changes().is_empty());
    let sources = Sources::new().file(file.path()).env_map([("SVC_PORT", "9191")]);
    let error = service.reload(sources).await.unwrap_err();
    let issue = &error.issues()[0];
    assert_eq!(issue.path(), "port", "{error}");
    assert_eq!(issue.source(), &ValueSource::Env("SVC_PORT".into()));
    assert!(issue.message().contains("restart"), "{error}");
    assert_eq!(service.port(), &8080);
    service.close().await;
}

/// The operator CLI sees the settings as the loader does: `env` lists them under their own
/// heading (a required one uncommented), `explain` shows each with its source, the secret
/// hidden, `check` lists only connections, `plan` refuses a changed setting.
#[cfg(feature = "cli")]
#[tokio::test]
async fn the_cli_lists_explains_and_plans_settings() {
    use clap::Parser;
    use connfx::cli::{Cli, Outcome};

    async fn run(args: &[&str], sources: Sources) -> (Outcome, String) {
        let cli = Cli::try_parse_from(std::iter::once("svc").chain(args.iter().copied())).unwrap();
        let mut out = Vec::new();
        let outcome = cli.command.execute::<Service>(sources, &mut out).await.unwrap();
        (outcome, String::from_utf8(out).unwrap())
    }

    let (outcome, out) = run(&["env"], Sources::new()).await;
    assert_eq!(outcome, Outcome::Ok);
    assert!(out.contains("\n## settings\n"), "{out}");
    assert!(out.contains("\n#SVC_PORT=8080\n"), "{out}");
    assert!(
        out.contains("# The port to serve on. (integer, default 8080)\n"),
        "{out}"
    );
    assert!(
        out.contains("\nSVC_SIGNING_KEY=\n"),
        "a required setting is to be filled in:\n{out}"
    );

    let file = file_ok();
    let sources = Sources::new().file(file.path()).env_map([("SVC_PORT", "9090")]);
    let (outcome, out) = run(&["explain"], sources.clone()).await;
    assert_eq!(outcome, Outcome::Ok);
    let row = |path: &str| {
        let line = out.lines().find(|l| l.split_whitespace().next() == Some(path));
        line.unwrap_or_else(|| panic!("{path}:\n{out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(row("port"), ["port", "9090", "env", "SVC_PORT"]);
    assert_eq!(row("signing_key")[1], "[redacted]");
    assert!(!out.contains("hunter2"), "{out}");

    let (outcome, out) = run(&["check"], sources).await;
    assert_eq!(outcome, Outcome::Ok, "{out}");
    assert!(!out.contains("port"), "settings are not connections:\n{out}");

    let candidate = file_with_port();
    let (outcome, out) = run(
        &["plan", candidate.path().to_str().unwrap()],
        Sources::new().file(file.path()),
    )
    .await;
    assert_eq!(outcome, Outcome::Invalid, "{out}");
    assert!(out.contains("port") && out.contains("restart"), "{out}");
}

#[cfg(feature = "cli")]
fn file_with_port() -> tempfile::NamedTempFile {
    file(&format!("port = 9999\n{FILE}"))
}
