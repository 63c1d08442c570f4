//! `rate_limit(scope = "fleet", store = "cache")`: one limit for every instance of a service,
//! kept in Redis. Four connected copies of one struct stand for four replicas; an axum upstream
//! on 127.0.0.1 counts what reaches it in each second. A private `redis-server` is stopped in
//! the middle of a run to show the fallback and the return to the fleet limit.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connfx::prelude::*;
use connfx::resilience::rate_limit::RateLimitEvent;
use connfx::{HealthState, Sources};
use tokio::time::Instant;

use crate::server::{PrivateRedis, binary};
use crate::services;

/// A replica's connections: a partner API allowing 200 calls a second to the whole fleet.
#[derive(Connections)]
#[connections(env_prefix = "FLEET")]
pub struct Replica {
    /// The partner API.
    #[connection(
        protocol = "http",
        rate_limit(requests = 200, per = "1s", scope = "fleet", store = "cache", max_wait = "5s")
    )]
    fleet_partner: HttpConnection,
    /// Keeps the fleet's limit.
    #[connection(protocol = "redis", timeout(per_attempt = "300ms"))]
    cache: RedisConnection,
}

/// An upstream that notes when each request arrived.
async fn upstream() -> (String, Arc<Mutex<Vec<Instant>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let noted = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let noted = Arc::clone(&noted);
            async move {
                noted.lock().unwrap().push(Instant::now());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

async fn replica(upstream: &str, redis: &str, extra: &[(&str, &str)]) -> Replica {
    let mut env = vec![
        ("FLEET_FLEET_PARTNER_URL".to_owned(), upstream.to_owned()),
        ("FLEET_CACHE_URL".to_owned(), redis.to_owned()),
    ];
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = Replica::load_config_from(Sources::new().env_map(env)).unwrap();
    config.connect().await.unwrap()
}

/// Clears the fleet's state in Redis, so an earlier run's TAT does not hold this one back.
async fn clear(replica: &Replica) {
    let keys = [
        "{connfx:rate_limit:fleet_partner}:tat",
        "{connfx:rate_limit:fleet_partner}:instances",
    ];
    replica.cache().del(&keys).await.unwrap();
}

/// Calls from `tasks` tasks on each replica until `until` (at most 20,000 calls in all);
/// returns (ok, failed).
fn load(replicas: &[Arc<Replica>], tasks: usize, until: Instant) -> tokio::task::JoinHandle<(u64, u64)> {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for replica in replicas {
        for _ in 0..tasks {
            let (replica, ok, failed) = (Arc::clone(replica), Arc::clone(&ok), Arc::clone(&failed));
            handles.push(tokio::spawn(async move {
                while Instant::now() < until && ok.load(Relaxed) + failed.load(Relaxed) < 20_000 {
                    match replica.fleet_partner().get("/").send().await {
                        Ok(_) => ok.fetch_add(1, Relaxed),
                        Err(e) => {
                            eprintln!("call failed: {e}");
                            failed.fetch_add(1, Relaxed)
                        }
                    };
                }
            }));
        }
    }
    tokio::spawn(async move {
        for handle in handles {
            handle.await.unwrap();
        }
        (ok.load(Relaxed), failed.load(Relaxed))
    })
}

/// Requests per whole second since the first one.
fn per_second(seen: &[Instant]) -> Vec<usize> {
    let Some(first) = seen.iter().min() else {
        return Vec::new();
    };
    let mut counts = Vec::new();
    for t in seen {
        let second = usize::try_from(t.duration_since(*first).as_secs()).unwrap();
        if counts.len() <= second {
            counts.resize(second + 1, 0);
        }
        counts[second] += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_replicas_share_one_limit_of_200_a_second() {
    let Some(redis) = services::redis("four_replicas_share_one_limit_of_200_a_second") else {
        return;
    };
    let (url, seen) = upstream().await;
    let mut replicas = Vec::new();
    for _ in 0..4 {
        replicas.push(Arc::new(replica(&url, &redis, &[]).await));
    }
    clear(&replicas[0]).await;
    let run = Duration::from_millis(10_500);
    let (ok, failed) = load(&replicas, 8, Instant::now() + run).await.unwrap();
    assert_eq!(failed, 0, "no call fails: beyond the limit calls wait their turn");
    let counts = per_second(&seen.lock().unwrap());
    eprintln!("requests per second at the upstream: {counts:?} ({ok} calls)");
    // The first second holds the burst (200) besides the rate; every whole second after it
    // holds the fleet's rate, 200 ± 5 %.
    let whole = &counts[1..counts.len() - 1];
    assert!(whole.len() >= 9, "{counts:?}");
    for (second, count) in whole.iter().enumerate() {
        assert!(
            (190..=210).contains(count),
            "second {}: {count} requests, {counts:?}",
            second + 1
        );
    }
    let stats: Vec<_> = replicas
        .iter()
        .map(|r| r.fleet_partner().rate_limit().unwrap().stats().fleet.unwrap())
        .collect();
    assert!(
        stats.iter().all(|s| s.instances == 4 && !s.store_down),
        "{stats:?}"
    );
    for replica in replicas {
        replica.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_store_falls_back_to_a_local_share_and_the_fleet_limit_resumes() {
    let test = "a_stopped_store_falls_back_to_a_local_share_and_the_fleet_limit_resumes";
    let Some(binary) = binary(test) else {
        return;
    };
    let mut redis = PrivateRedis::started(binary, &[]);
    let (url, seen) = upstream().await;
    let replica = Arc::new(
        replica(
            &url,
            &redis.url(),
            &[("FLEET_FLEET_PARTNER_RATE_LIMIT_REQUESTS", "100")],
        )
        .await,
    );
    let limit = replica.fleet_partner().rate_limit().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&events);
    limit.on_event(move |event| heard.lock().unwrap().push(*event));

    let start = Instant::now();
    let running = load(std::slice::from_ref(&replica), 4, start + Duration::from_secs(6));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    redis.stop();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let health = replica.health().await;
    let cache = health.get("cache").unwrap();
    assert_eq!(
        cache.health.state,
        HealthState::Error,
        "the store is down: {health}"
    );
    // The partner itself serves on the fallback: up (it does not fail readiness by itself),
    // not at full service, and its health names the store.
    let partner = &health.get("fleet_partner").unwrap().health;
    assert_eq!(partner.state, HealthState::Live, "{health}");
    assert!(partner.message.contains("rate_limit.store `cache`"), "{health}");
    assert!(partner.state.is_up(), "{health}");
    let during = limit.stats().fleet.unwrap();
    assert!(during.store_down, "{during:?}");
    redis.start();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let after = limit.stats().fleet.unwrap();
    assert!(!after.store_down, "back on the fleet limit: {after:?}");
    assert!(after.round_trips > during.round_trips);
    let (ok, failed) = running.await.unwrap();
    assert_eq!(
        failed, 0,
        "calls go on under the local share while the store is down"
    );
    let events = events.lock().unwrap().clone();
    let turns: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, RateLimitEvent::StoreDown | RateLimitEvent::StoreBack))
        .collect();
    assert_eq!(
        turns,
        [&RateLimitEvent::StoreDown, &RateLimitEvent::StoreBack],
        "{events:?}"
    );
    // One replica: its share is the whole limit, so the upstream sees about 100 a second
    // throughout (the first second also holds the burst). The fallback starts as used as the
    // fleet's limit was, and the fleet's state comes back as used as the fallback left it, so
    // neither turn gives a second burst.
    let counts = per_second(&seen.lock().unwrap());
    eprintln!("requests per second at the upstream: {counts:?} ({ok} calls)");
    for count in &counts[1..counts.len() - 1] {
        assert!((85..=115).contains(count), "{counts:?}");
    }
    replica.close().await;
}

#[tokio::test]
async fn a_store_that_is_not_a_redis_connection_fails_the_boot_naming_the_key() {
    let test = "a_store_that_is_not_a_redis_connection_fails_the_boot_naming_the_key";
    let Some(redis) = services::redis(test) else {
        return;
    };
    let env = [
        ("FLEET_FLEET_PARTNER_URL", "http://127.0.0.1:9"),
        ("FLEET_CACHE_URL", redis.as_str()),
        ("FLEET_FLEET_PARTNER_RATE_LIMIT_STORE", "fleet_partner"),
    ];
    let config = Replica::load_config_from(Sources::new().env_map(env)).unwrap();
    let Err(error) = config.connect().await else {
        panic!("connected with a store that is an HTTP connection");
    };
    let text = error.to_string();
    assert!(
        text.contains("fleet_partner")
            && text.contains("rate_limit.store")
            && text.contains("`http` connection"),
        "{text}"
    );
}

#[test]
fn a_fleet_scope_without_a_store_is_a_boot_error_naming_the_key_and_source() {
    let env = [
        ("FLEET_FLEET_PARTNER_URL", "http://127.0.0.1:9"),
        ("FLEET_CACHE_URL", "redis://127.0.0.1:6379"),
        ("FLEET_CACHE_RATE_LIMIT_SCOPE", "fleet"),
    ];
    let error = Replica::load_config_from(Sources::new().env_map(env)).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("cache.rate_limit.scope") && text.contains("needs `store`"),
        "{text}"
    );
    assert!(
        text.contains("FLEET_CACHE_RATE_LIMIT_SCOPE"),
        "the source is named: {text}"
    );
}

#[test]
fn a_quorum_share_on_a_local_breaker_is_a_boot_error_and_a_share_past_one_too() {
    let boot = |share: &str| {
        let env = [
            ("FLEET_FLEET_PARTNER_URL", "http://127.0.0.1:9"),
            ("FLEET_CACHE_URL", "redis://127.0.0.1:6379"),
            ("FLEET_CACHE_CIRCUIT_BREAKER_QUORUM_SHARE", share),
        ];
        Replica::load_config_from(Sources::new().env_map(env))
            .unwrap_err()
            .to_string()
    };
    let local = boot("0.5");
    assert!(
        local.contains("cache.circuit_breaker.quorum_share") && local.contains("scope = \"fleet\""),
        "{local}"
    );
    let past = boot("1.5");
    assert!(
        past.contains("FLEET_CACHE_CIRCUIT_BREAKER_QUORUM_SHARE") && past.contains("1.5"),
        "{past}"
    );
}

#[test]
fn the_fleet_keys_have_environment_variables() {
    let names: Vec<String> = Replica::env_vars().into_iter().map(|v| v.name).collect();
    for name in [
        "FLEET_FLEET_PARTNER_RATE_LIMIT_SCOPE",
        "FLEET_FLEET_PARTNER_RATE_LIMIT_STORE",
        "FLEET_FLEET_PARTNER_RATE_LIMIT_LEASE",
        "FLEET_FLEET_PARTNER_RATE_LIMIT_ON_STORE_ERROR",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
    let names: Vec<String> = Retrier::env_vars().into_iter().map(|v| v.name).collect();
    for name in [
        "FLEETB_FLEET_FLAKY_RETRY_BUDGET_SCOPE",
        "FLEETB_FLEET_FLAKY_RETRY_BUDGET_STORE",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
}

/// A replica whose partner is down: its retries draw from one budget for the whole fleet.
#[derive(Connections)]
#[connections(env_prefix = "FLEETB")]
pub struct Retrier {
    /// The partner API, retried within a fleet-wide budget of 10 % plus 20 a second.
    #[connection(
        protocol = "http",
        retry(
            max_attempts = 3,
            initial_interval = "1ms",
            max_interval = "1ms",
            budget = 0.1,
            min_retries_per_sec = 20,
            budget_scope = "fleet",
            budget_store = "cache"
        )
    )]
    fleet_flaky: HttpConnection,
    /// Keeps the fleet's budget.
    #[connection(protocol = "redis", timeout(per_attempt = "300ms"))]
    cache: RedisConnection,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_budget_keeps_four_replicas_retries_within_the_fleet_budget_in_an_outage() {
    let test = "a_fleet_budget_keeps_four_replicas_retries_within_the_fleet_budget_in_an_outage";
    let Some(redis) = services::redis(test) else {
        return;
    };
    // An upstream in a full outage: every request answered 503, and counted.
    let seen = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            counted.fetch_add(1, Relaxed);
            async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let env = [
        ("FLEETB_FLEET_FLAKY_URL", url.as_str()),
        ("FLEETB_CACHE_URL", redis.as_str()),
    ];
    let mut replicas = Vec::new();
    for _ in 0..4 {
        let config = Retrier::load_config_from(Sources::new().env_map(env)).unwrap();
        replicas.push(Arc::new(config.connect().await.unwrap()));
    }
    replicas[0]
        .cache()
        .del("{connfx:retry_budget:fleet_flaky}")
        .await
        .unwrap();
    // Let every replica settle with the store once, so its retries are the fleet's.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let run = Duration::from_secs(5);
    let calls = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + run;
    let mut tasks = Vec::new();
    for replica in &replicas {
        for _ in 0..2 {
            let (replica, calls) = (Arc::clone(replica), Arc::clone(&calls));
            tasks.push(tokio::spawn(async move {
                while Instant::now() < until && calls.load(Relaxed) < 20_000 {
                    let answer = replica.fleet_flaky().get("/").send().await;
                    assert!(answer.is_err(), "the upstream is down");
                    calls.fetch_add(1, Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (calls, requests) = (calls.load(Relaxed) as f64, seen.load(Relaxed) as f64);
    let retries = requests - calls;
    let seconds = run.as_secs_f64();
    // The fleet's budget: 10 % of its requests, 20 a second, 20 saved up.
    let fleet_budget = 0.1 * calls + 20.0 * seconds + 20.0;
    // What four local budgets of the same config would allow.
    let local_budgets = 0.1 * calls + 4.0 * (20.0 * seconds + 20.0);
    eprintln!(
        "{calls} calls, {retries} retries; the fleet's budget {fleet_budget}, four local budgets {local_budgets}, no budget {}",
        2.0 * calls
    );
    assert!(
        retries <= 1.2 * fleet_budget,
        "{retries} retries over 1.2 x {fleet_budget}"
    );
    assert!(
        retries >= 0.5 * fleet_budget,
        "the budget is spent, not starved: {retries}"
    );
    for replica in &replicas {
        let stats = replica.fleet_flaky().retry().unwrap().budget().unwrap().stats();
        let fleet = stats.fleet.unwrap();
        assert!(fleet.store_up && fleet.round_trips >= 40, "{stats:?}");
    }
    for replica in replicas {
        replica.close().await;
    }
}

/// A connection whose rate limit a reload moves into the fleet.
#[derive(Connections)]
#[connections(env_prefix = "FLEETM")]
pub struct Movable {
    /// The partner API, limited locally at first.
    #[connection(protocol = "http", rate_limit(requests = 50, per = "1s"))]
    fleet_moved: HttpConnection,
    /// The store a reload may name.
    #[connection(protocol = "redis")]
    cache: RedisConnection,
}

#[tokio::test]
async fn a_reload_moves_a_local_limit_into_the_fleet_and_binds_its_store() {
    let test = "a_reload_moves_a_local_limit_into_the_fleet_and_binds_its_store";
    let Some(redis) = services::redis(test) else {
        return;
    };
    let (url, _seen) = upstream().await;
    let base = vec![
        ("FLEETM_FLEET_MOVED_URL".to_owned(), url.clone()),
        ("FLEETM_CACHE_URL".to_owned(), redis.clone()),
    ];
    let config = Movable::load_config_from(Sources::new().env_map(base.clone())).unwrap();
    let conns = config.connect().await.unwrap();
    assert!(!conns.fleet_moved().rate_limit().unwrap().is_fleet());

    // A store that is not a Redis connection of the struct: refused before anything changes,
    // naming the key and where it came from.
    let fleet_in = |store: &str| {
        let mut moved = base.clone();
        moved.push((
            "FLEETM_FLEET_MOVED_RATE_LIMIT_SCOPE".to_owned(),
            "fleet".to_owned(),
        ));
        moved.push(("FLEETM_FLEET_MOVED_RATE_LIMIT_STORE".to_owned(), store.to_owned()));
        moved
    };
    for store in ["missing", "fleet_moved"] {
        let refused = conns
            .reload(Sources::new().env_map(fleet_in(store)))
            .await
            .unwrap_err();
        let text = refused.to_string();
        assert!(
            text.contains("fleet_moved.rate_limit.store")
                && text.contains("FLEETM_FLEET_MOVED_RATE_LIMIT_STORE"),
            "{text}"
        );
        assert!(
            !conns.fleet_moved().rate_limit().unwrap().is_fleet(),
            "nothing changed"
        );
    }

    let moved = fleet_in("cache");
    let report = conns.reload(Sources::new().env_map(moved)).await.unwrap();
    assert!(
        report.change("fleet_moved.rate_limit.scope").is_some(),
        "{report:?}"
    );
    let limit = conns.fleet_moved().rate_limit().unwrap();
    assert!(limit.is_fleet(), "the limit is the fleet's now");
    conns.fleet_moved().get("/").send().await.unwrap();
    let fleet = limit.stats().fleet.unwrap();
    assert!(
        fleet.round_trips >= 1 && !fleet.store_down,
        "bound to its store by the reload: {fleet:?}"
    );
    conns.close().await;
}

/// A replica whose partner breaker is shared by quorum: open for all once 3 of 4 are open.
#[derive(Connections)]
#[connections(env_prefix = "FLEETQ")]
pub struct Voter {
    /// The partner API.
    #[connection(
        protocol = "http",
        circuit_breaker(
            failure_threshold = 2,
            reset_timeout = "1s",
            scope = "fleet",
            store = "cache",
            quorum = 3
        )
    )]
    fleet_voted: HttpConnection,
    /// Keeps the fleet's votes.
    #[connection(protocol = "redis", timeout(per_attempt = "300ms"))]
    cache: RedisConnection,
}

/// An upstream that answers 503 while its switch is on, and counts what reaches it.
async fn switchable() -> (String, Arc<std::sync::atomic::AtomicBool>, Arc<AtomicU64>) {
    use std::sync::atomic::AtomicBool;
    let (failing, hits) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let (fails, counts) = (Arc::clone(&failing), Arc::clone(&hits));
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            counts.fetch_add(1, Relaxed);
            let status = if fails.load(Relaxed) {
                axum::http::StatusCode::SERVICE_UNAVAILABLE
            } else {
                axum::http::StatusCode::OK
            };
            async move { status }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, failing, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quorum_of_three_of_four_opens_the_fleet_and_one_instance_probes() {
    let test = "a_quorum_of_three_of_four_opens_the_fleet_and_one_instance_probes";
    let Some(redis) = services::redis(test) else {
        return;
    };
    three_of_four_open_the_fleet(&redis, &[]).await;
}

/// `quorum_share = 0.75` with `quorum = 1`: three quarters of four live instances, three votes.
/// In its own Redis database, so the two quorum tests do not count each other's instances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quorum_share_of_three_quarters_counts_the_live_instances() {
    let test = "a_quorum_share_of_three_quarters_counts_the_live_instances";
    let Some(redis) = services::redis(test) else {
        return;
    };
    let share = [
        ("FLEETQ_FLEET_VOTED_CIRCUIT_BREAKER_QUORUM", "1"),
        ("FLEETQ_FLEET_VOTED_CIRCUIT_BREAKER_QUORUM_SHARE", "0.75"),
    ];
    three_of_four_open_the_fleet(&format!("{}/7", redis.trim_end_matches('/')), &share).await;
}

/// Four replicas on `redis` (with the `extra` variables) whose breaker needs three votes: one
/// sick instance opens its own breaker only, three open the fleet's, one probes for all.
async fn three_of_four_open_the_fleet(redis: &str, extra: &[(&str, &str)]) {
    use connfx::resilience::circuit_breaker::EventKind;
    let mut replicas = Vec::new();
    let mut switches = Vec::new();
    for _ in 0..4 {
        let (url, failing, hits) = switchable().await;
        let mut env = vec![
            ("FLEETQ_FLEET_VOTED_URL", url.as_str()),
            ("FLEETQ_CACHE_URL", redis),
        ];
        env.extend_from_slice(extra);
        let config = Voter::load_config_from(Sources::new().env_map(env)).unwrap();
        replicas.push(config.connect().await.unwrap());
        switches.push((failing, hits));
    }
    for key in ["votes", "instances"] {
        let key = format!("{{connfx:circuit_breaker:fleet_voted}}:{key}");
        replicas[0].cache().del(key).await.unwrap();
    }
    let fleet_events = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&fleet_events);
    replicas[3]
        .fleet_voted()
        .breaker()
        .unwrap()
        .on_event(move |event| {
            if let EventKind::FleetChanged { open, .. } = event.kind {
                heard.lock().unwrap().push(open);
            }
        });
    let (replicas, switches) = (&replicas, &switches);
    let call = move |i: usize| replicas[i].fleet_voted().get("/").send();
    let open_own_breaker = move |i: usize| {
        switches[i].0.store(true, Relaxed);
        async move {
            for _ in 0..2 {
                assert!(call(i).await.is_err());
            }
            assert_eq!(
                replicas[i].fleet_voted().breaker().unwrap().state(),
                connfx::CircuitState::Open
            );
        }
    };
    let settle = || tokio::time::sleep(connfx::resilience::circuit_breaker::VOTE_EVERY * 3);

    // One sick instance opens its own breaker only.
    open_own_breaker(0).await;
    settle().await;
    for i in 1..4 {
        assert!(call(i).await.is_ok(), "replica {i} is not held back by one vote");
    }
    let fleet = replicas[3].fleet_voted().fleet_breaker().unwrap();
    assert_eq!((fleet.voters(), fleet.is_open()), (1, false), "{fleet:?}");
    let stats = fleet.stats();
    assert_eq!((stats.instances, stats.votes_needed), (4, 3), "{stats:?}");
    assert!(stats.store_up && stats.round_trips > 0, "{stats:?}");

    // Three do: the fourth, whose upstream is fine, is turned away without calling it.
    open_own_breaker(1).await;
    open_own_breaker(2).await;
    settle().await;
    assert!(fleet.is_open(), "{fleet:?}");
    let before = switches[3].1.load(Relaxed);
    let refused = call(3).await.unwrap_err();
    assert!(
        matches!(refused, connfx::CallError::CircuitOpen { .. }),
        "{refused}"
    );
    assert_eq!(switches[3].1.load(Relaxed), before, "not sent");
    assert_eq!(fleet.stats().rejected, 1, "{fleet:?}");
    assert_eq!(
        *fleet_events.lock().unwrap(),
        [true],
        "the fleet opening is an event"
    );

    // Past reset_timeout, with the upstreams still failing, one instance probes for the fleet.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let hits = |i: usize| switches[i].1.load(Relaxed);
    let before: Vec<u64> = (0..3).map(hits).collect();
    for i in 0..3 {
        let _ = call(i).await;
    }
    let probes: u64 = (0..3).map(|i| hits(i) - before[i]).sum();
    assert_eq!(probes, 1, "one probe for the fleet (half_open_max_calls = 1)");

    // Healed: the prober's breaker closes, the fleet closes, everyone calls again.
    for (failing, _) in switches {
        failing.store(false, Relaxed);
    }
    let healed = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            for i in 0..3 {
                let _ = call(i).await;
            }
            if call(3).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        healed.is_ok(),
        "the fleet closes once the prober's breaker does: {fleet:?}"
    );
    // The event comes with the vote that sees the fleet close.
    tokio::time::sleep(connfx::resilience::circuit_breaker::VOTE_EVERY * 2).await;
    assert_eq!(*fleet_events.lock().unwrap(), [true, false], "and its closing");
    for replica in replicas {
        replica.close().await;
    }
}
