//! Graceful shutdown: `close` refuses new calls, waits for the calls in flight, and only then
//! flushes telemetry, so no span recorded before `close` is lost.

use std::time::Duration;

use connfx::prelude::*;
use connfx::{CallError, Sources};

use crate::otlp_receiver::Receiver;
use crate::telemetry::{collector_env, trace_into, upstream};

#[derive(Connections)]
#[connections(env_prefix = "SHUT")]
struct Conns {
    #[connection(protocol = "http", pool(max_size = 64))]
    api: HttpConnection,
    #[connection(protocol = "otlp", service_name = "shutdown-test")]
    otel: OtlpConnection,
}

/// Calls made before `close`: this many quick ones, then slow ones still in flight when it starts.
const QUICK: usize = 200;
const IN_FLIGHT: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_waits_for_calls_in_flight_and_loses_no_span() {
    let receiver = Receiver::http().await.unwrap();
    let upstream = upstream().await;
    // Nothing leaves before `close`: every span must come from its flush.
    let mut env = collector_env("SHUT", &receiver);
    env.push(("SHUT_API_URL".into(), upstream.url.clone()));
    let conns = Conns::load_config_from(Sources::new().env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap();
    // This thread's default; the slow calls, on spawned tasks, carry it with them.
    let _guard = trace_into(conns.otel());
    let api = conns.api().clone();

    for _ in 0..QUICK {
        api.get("/ok").send().await.unwrap();
    }
    let slow: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let api = api.clone();
            let dispatch = tracing::dispatcher::get_default(Clone::clone);
            tokio::spawn(tracing::instrument::WithSubscriber::with_subscriber(
                async move { api.get("/slow").send().await.map(|r| r.status()) },
                dispatch,
            ))
        })
        .collect();
    // Let the slow calls reach the server (it holds each 300 ms).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    conns.close().await;
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "close waited for the calls in flight"
    );

    for call in slow {
        assert_eq!(
            call.await.unwrap().unwrap(),
            200,
            "a call in flight finished normally"
        );
    }
    let refused = api.get("/ok").send().await.unwrap_err();
    assert!(matches!(refused, CallError::Closed { .. }), "{refused}");

    let spans = receiver.received().spans();
    let calls = spans.iter().filter(|(name, _, _)| name == "GET").count();
    assert_eq!(
        calls,
        QUICK + IN_FLIGHT,
        "every span recorded before close arrived"
    );
}
