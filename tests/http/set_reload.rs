//! `conns.reload(sources)` on a derived struct: loaded and checked like a boot, applied to every
//! changed connection or to none, with a report of every changed key.

use std::time::Duration;

use axum::http::StatusCode;
use connfx::prelude::*;
use connfx::resilience::circuit_breaker::CircuitState;
use connfx::{Applied, CallError, Sources};

use super::server::{answering, slow, status};

/// A shop's connections; the deployment gives the URLs.
#[derive(Connections)]
#[connections(env_prefix = "SHOP")]
struct Shop {
    /// Payments.
    #[connection(circuit_breaker(failure_threshold = 2, reset_timeout = "60s"), timeout = "7s")]
    payments: HttpConnection,
    /// Search.
    search: HttpConnection,
    /// Audit, when a deployment names it.
    audit: Option<HttpConnection>,
}

fn env(pairs: &[(&str, String)]) -> Sources {
    Sources::new().env_map(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
}

async fn shop(sources: Sources) -> Shop {
    Shop::load_config_from(sources)
        .expect("a valid configuration")
        .connect()
        .await
        .expect("connects")
}

async fn text(api: &HttpConnection, path: &str) -> Result<String, CallError> {
    api.get(path).send().await?.text().await
}

#[tokio::test]
async fn an_open_breaker_stays_open_across_a_reload_that_raises_its_threshold_and_the_report_names_the_key() {
    let down = status(503).await;
    let up = answering(|_, _| (StatusCode::OK, "found".to_owned())).await;
    let urls = [
        ("SHOP_PAYMENTS_URL", down.url("")),
        ("SHOP_SEARCH_URL", up.url("")),
    ];
    let conns = shop(env(&urls)).await;
    for _ in 0..2 {
        let err = text(conns.payments(), "/").await.unwrap_err();
        assert!(matches!(err, CallError::Status { code: 503, .. }), "{err}");
    }
    let breaker = conns.payments().breaker().expect("configured");
    assert_eq!(breaker.state(), CircuitState::Open);

    let mut raised = urls.to_vec();
    raised.push(("SHOP_PAYMENTS_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "10".to_owned()));
    let report = conns.reload(env(&raised)).await.expect("applies");

    let [change] = report.changes() else {
        panic!("one key changed: {:?}", report.changes());
    };
    assert_eq!(change.path(), "payments.circuit_breaker.failure_threshold");
    assert_eq!((change.old_value(), change.new_value()), (Some("2"), Some("10")));
    assert_eq!(change.applied(), Applied::Live);
    assert_eq!(conns.payments().breaker().unwrap().state(), CircuitState::Open);
    assert_eq!(
        breaker.state(),
        CircuitState::Open,
        "the handle given out is the same breaker"
    );
    let err = text(conns.payments(), "/").await.unwrap_err();
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
    assert_eq!(down.seen().len(), 2, "nothing reached the upstream while open");
    assert_eq!(
        conns
            .payments()
            .config()
            .circuit_breaker
            .as_ref()
            .unwrap()
            .failure_threshold,
        10
    );

    let again = conns.reload(env(&raised)).await.expect("applies");
    assert!(
        again.changes().is_empty(),
        "the same sources change nothing: {again:?}"
    );
}

#[tokio::test]
async fn an_invalid_value_is_named_with_its_source_and_nothing_changes() {
    let up = answering(|_, _| (StatusCode::OK, "up".to_owned())).await;
    let urls = [("SHOP_PAYMENTS_URL", up.url("")), ("SHOP_SEARCH_URL", up.url(""))];
    let conns = shop(env(&urls)).await;

    let mut bad = urls.to_vec();
    bad.push(("SHOP_SEARCH_TIMEOUT_TOTAL", "3s".to_owned()));
    bad.push(("SHOP_PAYMENTS_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "0".to_owned()));
    let err = conns.reload(env(&bad)).await.unwrap_err();
    let [issue] = err.issues() else {
        panic!("one problem: {err}");
    };
    assert_eq!(issue.path(), "payments.circuit_breaker.failure_threshold");
    assert_eq!(
        issue.source().to_string(),
        "env SHOP_PAYMENTS_CIRCUIT_BREAKER_FAILURE_THRESHOLD"
    );
    assert_eq!(
        conns.search().config().timeout.total,
        Duration::from_secs(30),
        "the valid change was not applied"
    );
    assert_eq!(
        conns
            .payments()
            .config()
            .circuit_breaker
            .as_ref()
            .unwrap()
            .failure_threshold,
        2
    );
    assert_eq!(text(conns.search(), "/ping").await.unwrap(), "up");
}

#[tokio::test]
async fn one_connection_that_cannot_take_its_settings_stops_the_whole_reload() {
    let up = answering(|_, _| (StatusCode::OK, "up".to_owned())).await;
    let urls = [("SHOP_PAYMENTS_URL", up.url("")), ("SHOP_SEARCH_URL", up.url(""))];
    let conns = shop(env(&urls)).await;

    let mut broken = urls.to_vec();
    broken.push(("SHOP_PAYMENTS_TIMEOUT_TOTAL", "9s".to_owned()));
    // Read as a file, but not a certificate: found when the new client is built.
    let not_a_certificate = std::env::temp_dir().join(format!("connfx-not-a-ca-{}.pem", std::process::id()));
    std::fs::write(
        &not_a_certificate,
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    broken.push(("SHOP_SEARCH_TLS_CA_FILE", not_a_certificate.display().to_string()));
    let err = conns.reload(env(&broken)).await.unwrap_err();
    let [issue] = err.issues() else {
        panic!("one problem: {err}");
    };
    assert!(issue.path().starts_with("search"), "{issue}");
    assert_eq!(issue.source().to_string(), "env SHOP_SEARCH_TLS_CA_FILE");
    assert_eq!(
        conns.payments().config().timeout.total,
        Duration::from_secs(7),
        "payments was ready to change, and did not"
    );
}

#[tokio::test]
async fn adding_a_connection_is_refused_as_needing_a_restart() {
    let up = answering(|_, _| (StatusCode::OK, "up".to_owned())).await;
    let urls = [("SHOP_PAYMENTS_URL", up.url("")), ("SHOP_SEARCH_URL", up.url(""))];
    let conns = shop(env(&urls)).await;
    let mut more = urls.to_vec();
    more.push(("SHOP_AUDIT_URL", up.url("")));
    more.push(("SHOP_PAYMENTS_TIMEOUT_TOTAL", "9s".to_owned()));
    let err = conns.reload(env(&more)).await.unwrap_err();
    let [issue] = err.issues() else {
        panic!("one problem: {err}");
    };
    assert_eq!(issue.path(), "audit");
    assert!(issue.message().contains("restart"), "{issue}");
    assert!(conns.audit().is_none());
    assert_eq!(conns.payments().config().timeout.total, Duration::from_secs(7));
}

#[tokio::test]
async fn a_url_change_reconnects_and_the_report_hides_the_password() {
    let old = slow(Duration::from_millis(300)).await;
    let new = answering(|_, _| (StatusCode::OK, "new".to_owned())).await;
    let with_password = |url: String| url.replacen("http://", "http://shop:hunter2@", 1);
    let before = [
        ("SHOP_PAYMENTS_URL", with_password(old.url(""))),
        ("SHOP_SEARCH_URL", old.url("")),
    ];
    let conns = shop(env(&before)).await;
    let payments = conns.payments().clone();
    let in_flight = tokio::spawn(async move { text(&payments, "/charges").await });
    while old.seen().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let after = [
        ("SHOP_PAYMENTS_URL", with_password(new.url(""))),
        ("SHOP_SEARCH_URL", old.url("")),
    ];
    let report = conns.reload(env(&after)).await.expect("applies");
    let change = report.change("payments.url").expect("the URL changed");
    assert_eq!(change.applied(), Applied::Reconnected);
    assert!(!format!("{report:?}{change}").contains("hunter2"), "{change}");
    assert_eq!(report.changes().len(), 1, "{:?}", report.changes());
    assert_eq!(text(conns.payments(), "/charges").await.unwrap(), "new");
    assert_eq!(
        in_flight.await.unwrap().unwrap(),
        "late",
        "finished on the old upstream"
    );
}

/// Settings of the dial adapter: a level it reloads live, except 13, which it refuses when it
/// prepares; and a `name` it cannot change while it runs.
#[derive(
    Clone, Debug, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema, validator::Validate,
)]
#[serde(deny_unknown_fields)]
struct DialConfig {
    /// The level.
    #[serde(default)]
    level: u32,
    /// A label fixed at connect.
    #[serde(default)]
    label: String,
}

/// An adapter whose level reloads live.
#[derive(Clone)]
struct Dial {
    level: std::sync::Arc<std::sync::atomic::AtomicU32>,
    slot: connfx::registry::RegistrySlot,
}

impl Connection for Dial {
    const PROTOCOL: &'static str = "dial";
    type Config = DialConfig;

    async fn connect(_name: &str, config: DialConfig) -> Result<Self, connfx::ConnectError> {
        Ok(Dial {
            level: std::sync::Arc::new(config.level.into()),
            slot: connfx::registry::RegistrySlot::new(),
        })
    }

    async fn health(&self) -> connfx::Health {
        connfx::Health::ready(Duration::ZERO, "turning")
    }

    async fn close(&self) {}

    fn registry_slot(&self) -> Option<&connfx::registry::RegistrySlot> {
        Some(&self.slot)
    }

    fn reload_applies(path: &str) -> Option<Applied> {
        (path == "level").then_some(Applied::Live)
    }

    async fn prepare_reload(
        &self,
        config: DialConfig,
    ) -> Result<connfx::reload::Prepared, connfx::ConnectError> {
        if config.level == 13 {
            return Err(connfx::ConnectError::new("dial", "level 13 is unlucky"));
        }
        let level = std::sync::Arc::clone(&self.level);
        Ok(connfx::reload::Prepared::new(Applied::Live, move || {
            level.store(config.level, std::sync::atomic::Ordering::Relaxed);
        }))
    }
}

/// An HTTP connection beside the dial.
#[derive(Connections)]
#[connections(env_prefix = "PANEL")]
struct Panel {
    /// The API.
    #[connection(timeout = "7s")]
    api: HttpConnection,
    /// The dial.
    dial: Dial,
}

#[tokio::test]
async fn a_connection_that_refuses_when_it_prepares_leaves_every_connection_as_it_was() {
    let url = ("PANEL_API_URL", "http://127.0.0.1:1".to_owned());
    let conns = Panel::load_config_from(env(std::slice::from_ref(&url)))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let level = |conns: &Panel| conns.dial().level.load(std::sync::atomic::Ordering::Relaxed);

    let report = conns
        .reload(env(&[url.clone(), ("PANEL_DIAL_LEVEL", "4".to_owned())]))
        .await
        .expect("applies");
    assert_eq!(report.change("dial.level").unwrap().applied(), Applied::Live);
    assert_eq!(level(&conns), 4);

    let unlucky = [
        url.clone(),
        ("PANEL_API_TIMEOUT_TOTAL", "9s".to_owned()),
        ("PANEL_DIAL_LEVEL", "13".to_owned()),
    ];
    let err = conns.reload(env(&unlucky)).await.unwrap_err();
    let [issue] = err.issues() else {
        panic!("one problem: {err}");
    };
    assert_eq!(issue.path(), "dial");
    assert_eq!(issue.source().to_string(), "env PANEL_DIAL_LEVEL");
    assert!(issue.message().contains("unlucky"), "{issue}");
    assert_eq!(level(&conns), 4);
    assert_eq!(
        conns.api().config().timeout.total,
        Duration::from_secs(7),
        "the API was not changed"
    );

    let relabelled = [url, ("PANEL_DIAL_LABEL", "north".to_owned())];
    let err = conns.reload(env(&relabelled)).await.unwrap_err();
    assert_eq!(err.issues()[0].path(), "dial.label");
    assert!(err.issues()[0].message().contains("restart"), "{err}");
}

/// The issue's own check, through the struct: 300 calls in flight while its configuration is
/// reloaded 10 times (deadlines, retries, a breaker, the URL between two upstreams): none fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_calls_in_flight_through_ten_struct_reloads_none_fails() {
    let (a, b) = (
        slow(Duration::from_millis(40)).await,
        slow(Duration::from_millis(40)).await,
    );
    let sources = |i: u64| {
        let upstream = if i.is_multiple_of(2) { &a } else { &b };
        let mut pairs = vec![
            ("SHOP_PAYMENTS_URL", upstream.url("")),
            ("SHOP_SEARCH_URL", a.url("")),
            ("SHOP_PAYMENTS_TIMEOUT_TOTAL", format!("{}s", 5 + i)),
            (
                "SHOP_PAYMENTS_CIRCUIT_BREAKER_FAILURE_THRESHOLD",
                (3 + i).to_string(),
            ),
        ];
        if i % 4 != 1 {
            pairs.push(("SHOP_PAYMENTS_RETRY_MAX_ATTEMPTS", (2 + i % 3).to_string()));
        }
        env(&pairs)
    };
    let conns = shop(sources(0)).await;
    let calls: Vec<_> = (0..300)
        .map(|i| {
            let payments = conns.payments().clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i % 100)).await;
                text(&payments, "/work").await
            })
        })
        .collect();
    let mut reconnected = 0;
    for i in 1..=10 {
        tokio::time::sleep(Duration::from_millis(12)).await;
        let report = conns.reload(sources(i)).await.expect("applies");
        assert!(report.change("payments.timeout.total").is_some(), "{report:?}");
        reconnected += usize::from(report.change("payments.url").is_some());
    }
    for call in calls {
        let answer = tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(answer.unwrap(), "late");
    }
    assert_eq!(reconnected, 10, "the URL changed on every reload");
    assert_eq!(a.seen().len() + b.seen().len(), 300, "each call answered once");
}

fn threshold(conns: &Shop) -> u32 {
    conns
        .payments()
        .config()
        .circuit_breaker
        .as_ref()
        .unwrap()
        .failure_threshold
}

/// The next reload event, or a panic after 10 s.
/// A reload that found nothing changed (a file event straggling past the debounce, on a slow
/// machine) is skipped.
async fn next_event(
    events: &mut tokio::sync::broadcast::Receiver<connfx::reload::ReloadEvent>,
) -> connfx::reload::ReloadEvent {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await.expect("the watcher is running") {
                connfx::reload::ReloadEvent::Applied { report, .. } if report.changes().is_empty() => {}
                event => return event,
            }
        }
    })
    .await
    .expect("a reload within 10 s")
}

#[tokio::test]
async fn a_watched_file_that_changes_is_reloaded_and_a_broken_one_is_refused() {
    use connfx::reload::{ReloadEvent, Trigger, Watch};
    let up = answering(|_, _| (StatusCode::OK, "up".to_owned())).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.toml");
    std::fs::write(&file, "[payments.circuit_breaker]\nfailure_threshold = 2\n").unwrap();
    let urls = [("SHOP_PAYMENTS_URL", up.url("")), ("SHOP_SEARCH_URL", up.url(""))];
    let sources = env(&urls).file(&file);
    let conns = shop(sources.clone()).await;
    let watcher = conns
        .watch(
            Watch::new()
                .sources(sources)
                .debounce(Duration::from_millis(50))
                .sighup(false),
        )
        .expect("watching");
    assert_eq!(watcher.files(), [std::fs::canonicalize(&file).unwrap()]);
    let mut events = watcher.subscribe();

    std::fs::write(&file, "[payments.circuit_breaker]\nfailure_threshold = 9\n").unwrap();
    let ReloadEvent::Applied { trigger, report } = next_event(&mut events).await else {
        panic!("applied");
    };
    assert_eq!(trigger, Trigger::File(std::fs::canonicalize(&file).unwrap()));
    let change = report
        .change("payments.circuit_breaker.failure_threshold")
        .expect("changed");
    assert_eq!(change.new_value(), Some("9"));
    assert_eq!(threshold(&conns), 9);

    std::fs::write(&file, "[payments.circuit_breaker]\nfailure_threshold = 0\n").unwrap();
    let ReloadEvent::Refused { error, .. } = next_event(&mut events).await else {
        panic!("refused");
    };
    assert_eq!(
        error.issues()[0].path(),
        "payments.circuit_breaker.failure_threshold"
    );
    assert_eq!(threshold(&conns), 9, "unchanged");
    assert_eq!(text(conns.payments(), "/").await.unwrap(), "up");

    conns.close().await;
    // A reload the last write started (its events may straggle past the debounce) ends first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while events.try_recv().is_ok() {}
    std::fs::write(&file, "[payments.circuit_breaker]\nfailure_threshold = 4\n").unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(500), events.recv())
            .await
            .is_err()
            || matches!(
                events.try_recv(),
                Err(tokio::sync::broadcast::error::TryRecvError::Closed)
            ),
        "a closed struct stops watching"
    );
}

#[tokio::test]
async fn sighup_asks_a_watching_struct_to_reload() {
    use connfx::reload::{ReloadEvent, Trigger, Watch};
    let up = answering(|_, _| (StatusCode::OK, "up".to_owned())).await;
    let sources = env(&[("SHOP_PAYMENTS_URL", up.url("")), ("SHOP_SEARCH_URL", up.url(""))]);
    let conns = shop(sources.clone()).await;
    // Listening for SIGHUP starts in `watch`, so the signal sent next cannot end the process.
    let watcher = conns.watch(Watch::new().sources(sources)).expect("watching");
    let mut events = watcher.subscribe();
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await;
    let ReloadEvent::Applied { trigger, report } = event.expect("a reload within 10 s").unwrap() else {
        panic!("applied");
    };
    assert_eq!(trigger, Trigger::Signal);
    assert!(report.changes().is_empty(), "the same sources: {report:?}");
}
