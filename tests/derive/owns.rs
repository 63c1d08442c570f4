//! The struct owns its connections: one registry for its life, which `close()` closes with
//! every monitor started from it, and which goes away with the struct.

use std::time::Duration;

use connfx::prelude::*;
use connfx::{CallError, HealthState};

use crate::connect;
use crate::echo::EchoConnection;

/// Longest any wait here may take.
const PATIENCE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn registry_is_the_same_registry_on_every_call() {
    let conns = connect().await;
    assert!(Registry::ptr_eq(&conns.registry(), &conns.registry()));

    // Inserted through one short-lived handle, seen through the next ones and by `health()`.
    let api: HttpConnection = conns.registry().get("api").unwrap();
    conns.registry().insert("alias", api);
    let alias: HttpConnection = conns.registry().get("alias").unwrap();
    assert_eq!(
        alias.get("/items/1").send().await.unwrap().text().await.unwrap(),
        "item one"
    );
    assert_eq!(conns.registry().names(), ["api", "db", "echo", "alias"]);
    assert_eq!(conns.health().await.entries.len(), 4);
}

#[tokio::test]
async fn close_ends_the_monitors_of_the_registry_and_refuses_later_calls() {
    let conns = connect().await;
    let monitor = conns.registry().monitor(Duration::from_millis(20));
    let mut reports = monitor.reports();
    tokio::time::timeout(PATIENCE, reports.wait_for(Option::is_some))
        .await
        .expect("a first report in time")
        .expect("the monitor runs");
    assert!(monitor.is_running());

    conns.close().await;
    let ended = tokio::time::timeout(PATIENCE, async {
        while monitor.is_running() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(ended.is_ok(), "the monitor still runs {PATIENCE:?} after close()");
    let last = monitor.report().expect("the last report stays");
    assert!(
        last.entries
            .iter()
            .all(|e| e.health.state == HealthState::Unknown),
        "{last}"
    );

    // Calls through the struct's connection, and through the registry's handle to it, are refused.
    let err = conns.api().get("/items/1").send().await.unwrap_err();
    assert!(matches!(err, CallError::Closed { .. }), "{err:?}");
    let api: HttpConnection = conns.registry().get("api").unwrap();
    let err = api.get("/items/1").send().await.unwrap_err();
    assert!(matches!(err, CallError::Closed { .. }), "{err:?}");
    let err =
        conns
            .db()
            .run(|pool: connfx::sqlx::SqlitePool| async move {
                connfx::sqlx::query("SELECT 1").execute(&pool).await
            })
            .await
            .unwrap_err();
    assert!(matches!(err, CallError::Closed { .. }), "{err:?}");
}

#[tokio::test]
async fn the_registry_goes_away_with_the_struct() {
    let conns = connect().await;
    let echo = conns.echo().shared();
    let kept = conns.registry();
    drop(conns);
    assert!(
        kept.get::<EchoConnection>("echo").is_ok(),
        "a registry handle keeps the connections alive"
    );
    assert!(echo.upgrade().is_some());
    drop(kept);
    assert!(
        echo.upgrade().is_none(),
        "the registry was not freed with the struct: a reference cycle"
    );
}
