//! Checks that need no network run at load (issue 14, item 6): a value `connect` or the first
//! health check would refuse is refused by `load_config()` first, at its key, blamed on the
//! source that gave it, with no secret in the message. Each protocol's case goes through the
//! same loader as `check` (tested in `tests/cli/check.rs`).

use connfx::prelude::*;
use connfx::{ConfigError, ValueSource};

use crate::sandbox::Sandbox;

/// One connection of each protocol, all with a default URL so a test names only what it breaks.
#[derive(Connections)]
#[connections(env_prefix = "EARLY")]
pub struct Early {
    /// HTTP.
    #[connection(protocol = "http", url = "https://api.example/v1")]
    api: HttpConnection,
    /// GraphQL (HTTP's keys).
    #[connection(protocol = "graphql", url = "https://api.example/graphql")]
    graph: GraphqlConnection,
    /// SSE.
    #[connection(protocol = "sse", url = "https://api.example/events")]
    events: SseConnection,
    /// WebSocket.
    #[connection(protocol = "websocket", url = "wss://api.example/feed")]
    feed: WebSocketConnection,
    /// Redis.
    #[connection(protocol = "redis", url = "redis://127.0.0.1:6379")]
    cache: RedisConnection,
    /// SQL.
    #[connection(protocol = "sql", url = "sqlite::memory:")]
    db: SqlConnection,
    /// OTLP.
    #[connection(protocol = "otlp", url = "https://collector.example:4317")]
    otel: OtlpConnection,
}

/// The issues of loading `file` (TOML) and `env`; panics if it loads.
fn issues(sandbox: &Sandbox, file: &str, env: &[(&str, &str)]) -> (ConfigError, ValueSource) {
    let path = sandbox.file("early.toml", file);
    let sources = Sources::new()
        .file(&path)
        .env_map(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let err = Early::load_config_from(sources).expect_err("the config must be refused at load");
    (err, ValueSource::File(path))
}

/// The one issue at `path`: its source and message.
fn at<'a>(err: &'a ConfigError, path: &str) -> &'a connfx::ConfigIssue {
    let found: Vec<_> = err.issues().iter().filter(|i| i.path() == path).collect();
    assert_eq!(found.len(), 1, "one issue at `{path}` in:\n{err}");
    found[0]
}

/// No secret of the test in the text of the error.
fn no_secret(err: &ConfigError) {
    let text = format!("{err} {err:?}");
    for secret in ["s3cret", "t0ken", "k3y-v4lue", "hunter2"] {
        assert!(!text.contains(secret), "`{secret}` shown in: {text}");
    }
}

#[test]
fn a_header_value_with_a_line_break_is_refused_at_load_for_every_protocol_that_sends_headers() {
    let sandbox = Sandbox::new();
    let file = "[api.headers]\n\"X-Token\" = \"s3cret\\nX-Evil: 1\"\n\n\
                [graph.headers]\n\"X-Trace\" = \"a\\rb\"\n\n\
                [events.headers]\n\"X-Token\" = \"s3cret\\n\"\n\n\
                [feed.headers]\n\"Bad Name\" = \"v\"\n\n\
                [otel.headers]\n\"x-api-key\" = \"s3cret\\n\"\n";
    let (err, file) = issues(&sandbox, file, &[]);
    for (path, header) in [
        ("api.headers", "X-Token"),
        ("graph.headers", "X-Trace"),
        ("events.headers", "X-Token"),
        ("feed.headers", "Bad Name"),
        ("otel.headers", "x-api-key"),
    ] {
        let issue = at(&err, path);
        assert_eq!(issue.source(), &file, "{issue}");
        assert!(issue.message().contains(header), "{issue}");
    }
    assert_eq!(err.issues().len(), 5, "{err}");
    no_secret(&err);
}

#[test]
fn a_user_agent_with_a_line_break_is_refused_at_load_naming_the_variable() {
    let sandbox = Sandbox::new();
    let (err, _) = issues(&sandbox, "", &[("EARLY_API_USER_AGENT", "shop/1\r\nX-Evil: 1")]);
    let issue = at(&err, "api.user_agent");
    assert_eq!(issue.source(), &ValueSource::Env("EARLY_API_USER_AGENT".into()));
    assert!(
        issue.message().contains("`user_agent`") && issue.message().contains("line break"),
        "{issue}"
    );
    assert_eq!(err.issues().len(), 1, "{err}");
}

#[test]
fn two_credentials_or_a_credential_that_cannot_be_sent_are_refused_at_load() {
    let sandbox = Sandbox::new();
    let file = "[api.auth]\nbearer = \"t0ken\"\napi_key = \"k3y-v4lue\"\n\n\
                [events.auth]\npassword = \"hunter2\"\n";
    let (err, file) = issues(&sandbox, file, &[("EARLY_GRAPH_AUTH_BEARER", "t0ken\nX-Evil: 1")]);
    let two = at(&err, "api.auth");
    assert_eq!(two.source(), &file);
    assert!(two.message().contains("at most one of `bearer`"), "{two}");
    let alone = at(&err, "events.auth.password");
    assert_eq!(alone.source(), &file);
    assert!(alone.message().contains("needs `auth.username`"), "{alone}");
    let broken = at(&err, "graph.auth.bearer");
    assert_eq!(
        broken.source(),
        &ValueSource::Env("EARLY_GRAPH_AUTH_BEARER".into())
    );
    assert!(broken.message().contains("line break"), "{broken}");
    assert_eq!(err.issues().len(), 3, "{err}");
    no_secret(&err);
}

#[test]
fn tls_files_are_read_at_load_unreadable_or_not_pem() {
    let sandbox = Sandbox::new();
    let not_pem = sandbox.file("not-a-ca.pem", "hello, not a certificate\n");
    let broken = sandbox.file(
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n",
    );
    let file = format!(
        "[api.tls]\nca_file = \"/nonexistent/ca.pem\"\n\n\
         [graph.tls]\nca_file = \"{}\"\n\n\
         [cache]\nurl = \"rediss://127.0.0.1:6380\"\n[cache.tls]\ncert_file = \"{}\"\n\n\
         [otel.tls]\nca_file = \"{}\"\n",
        not_pem.display(),
        not_pem.display(),
        broken.display(),
    );
    let (err, file) = issues(&sandbox, &file, &[]);
    let missing = at(&err, "api.tls.ca_file");
    assert_eq!(missing.source(), &file);
    assert!(
        missing
            .message()
            .starts_with("`tls.ca_file` /nonexistent/ca.pem: cannot read it"),
        "{missing}"
    );
    let empty = at(&err, "graph.tls.ca_file");
    assert!(empty.message().contains("holds no PEM certificate"), "{empty}");
    // A certificate without its key: the key is the missing half.
    let half = at(&err, "cache.tls.key_file");
    assert!(
        half.message().contains("`tls.cert_file` needs `tls.key_file`"),
        "{half}"
    );
    let garbled = at(&err, "otel.tls.ca_file");
    assert!(garbled.message().contains("not a PEM file"), "{garbled}");
    assert_eq!(err.issues().len(), 4, "{err}");
}

#[test]
fn a_tls_file_from_the_environment_is_blamed_on_its_variable() {
    let sandbox = Sandbox::new();
    let (err, _) = issues(
        &sandbox,
        "",
        &[
            ("EARLY_API_TLS_KEY_FILE", "/nonexistent/key.pem"),
            ("EARLY_API_TLS_CERT_FILE", "/nonexistent/cert.pem"),
        ],
    );
    let key = at(&err, "api.tls.key_file");
    assert_eq!(key.source(), &ValueSource::Env("EARLY_API_TLS_KEY_FILE".into()));
    let cert = at(&err, "api.tls.cert_file");
    assert_eq!(cert.source(), &ValueSource::Env("EARLY_API_TLS_CERT_FILE".into()));
}

#[test]
fn good_tls_files_load() {
    let fixture = |name: &str| format!("{}/tests/http/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let sources = Sources::new().env_map([
        ("EARLY_API_TLS_CA_FILE", fixture("ca-bundle.pem")),
        ("EARLY_API_TLS_CERT_FILE", fixture("client-cert.pem")),
        ("EARLY_API_TLS_KEY_FILE", fixture("client-key.pem")),
    ]);
    let config = Early::load_config_from(sources).expect("loads");
    assert!(config.api.tls.ca_file.is_some());
}

#[test]
fn a_health_path_that_leaves_the_base_url_is_refused_at_load() {
    let sandbox = Sandbox::new();
    let file = "[api.health]\npath = \"https://elsewhere.example/health\"\n\n\
                [graph.health]\npath = \"/../../admin\"\n";
    let (err, file) = issues(&sandbox, file, &[]);
    let absolute = at(&err, "api.health.path");
    assert_eq!(absolute.source(), &file);
    assert!(
        absolute.message().contains("`health.path`") && absolute.message().contains("absolute URL"),
        "{absolute}"
    );
    assert!(
        !absolute.message().contains("elsewhere"),
        "the path is not repeated: {absolute}"
    );
    let climbing = at(&err, "graph.health.path");
    assert!(
        climbing.message().contains("would leave the base URL"),
        "{climbing}"
    );
    assert_eq!(err.issues().len(), 2, "{err}");
}

#[test]
fn url_problems_connect_would_find_are_found_at_load() {
    let sandbox = Sandbox::new();
    let file = "[feed]\nurl = \"wss://app:hunter2@feed.example/x\"\n\n\
                [db]\nurl = \"sqlite::memory:?mode=bogus\"\n\n\
                [otel]\nurl = \"https://app:hunter2@collector.example:4318\"\n";
    let (err, file) = issues(
        &sandbox,
        file,
        &[("EARLY_CACHE_TLS_ACCEPT_INVALID_CERTS", "true")],
    );
    let feed = at(&err, "feed.url");
    assert_eq!(feed.source(), &file);
    assert!(feed.message().contains("user-info"), "{feed}");
    let db = at(&err, "db.url");
    assert!(db.message().contains("invalid sqlite URL or options"), "{db}");
    let otel = at(&err, "otel.url");
    assert!(otel.message().contains("must not hold credentials"), "{otel}");
    // `tls` on a `redis://` URL: blamed on the variable that set it.
    let cache = at(&err, "cache.tls");
    assert_eq!(
        cache.source(),
        &ValueSource::Env("EARLY_CACHE_TLS_ACCEPT_INVALID_CERTS".into())
    );
    assert!(cache.message().contains("need a `rediss://` URL"), "{cache}");
    assert_eq!(err.issues().len(), 4, "{err}");
    no_secret(&err);
}

#[test]
fn grpc_otlp_refuses_accept_invalid_certs_at_load() {
    let sandbox = Sandbox::new();
    let file = "[otel]\ntransport = \"grpc\"\n[otel.tls]\naccept_invalid_certs = true\n";
    let (err, file) = issues(&sandbox, file, &[]);
    let issue = at(&err, "otel.tls.accept_invalid_certs");
    assert_eq!(issue.source(), &file);
    assert!(
        issue
            .message()
            .contains("not supported with `transport = \"grpc\"`"),
        "{issue}"
    );
    assert_eq!(err.issues().len(), 1, "{err}");
}

#[test]
fn a_group_check_names_its_key_not_only_the_group() {
    let sandbox = Sandbox::new();
    let (err, file) = issues(&sandbox, "[db.pool]\nmax_size = 2\nmin_idle = 3\n", &[]);
    let issue = at(&err, "db.pool.min_idle");
    assert_eq!(issue.source(), &file);
    assert_eq!(issue.message(), "`min_idle` (3) must not be above `max_size` (2)");
}

#[test]
fn the_defaults_of_every_protocol_pass_the_load_checks() {
    Early::load_config_from(Sources::new()).expect("every default passes");
}

/// A client certificate with a key that is not its own is refused at load, at `tls.key_file`,
/// as every TLS client would refuse it at connect.
#[test]
fn a_key_that_is_not_the_certificates_own_is_refused_at_load() {
    let fixture = |name: &str| format!("{}/tests/http/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let sources = Sources::new().env_map([
        ("EARLY_API_TLS_CERT_FILE", fixture("client-cert.pem")),
        ("EARLY_API_TLS_KEY_FILE", fixture("other-key.pem")),
    ]);
    let err = Early::load_config_from(sources).unwrap_err();
    let issue = at(&err, "api.tls.key_file");
    assert!(issue.message().contains("is not the key of"), "{issue}");
}
