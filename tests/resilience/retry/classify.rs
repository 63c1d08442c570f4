//! What is retried: the classification table, `retry_on`, the idempotency rules, `Retry-After`.

use std::time::{Duration, SystemTime};

use connfx::RetryConfig;
use connfx::resilience::retry::{
    BodyKind, Classifier, Decision, Outcome, RequestInfo, RetryAfter, RetryOn, is_idempotent_method,
    may_replay,
};

fn status(code: u16) -> Outcome {
    Outcome::Status {
        code,
        retry_after: None,
    }
}

/// The defaults of DESIGN §3 for an idempotent request: connect errors, timeouts, 429, 502,
/// 503 and 504 are retried; other statuses, broken connections after sending and the rest not.
#[test]
fn default_classification_table() {
    let rules = Classifier::from_config(&RetryConfig::default());
    let get = RequestInfo::new("GET");
    let table = [
        (Outcome::Success, false),
        (Outcome::Connect, true),
        (Outcome::Timeout { sent: false }, true),
        (Outcome::Timeout { sent: true }, true),
        (Outcome::Transport, false),
        (Outcome::Other, false),
        (status(429), true),
        (status(500), false),
        (status(501), false),
        (status(502), true),
        (status(503), true),
        (status(504), true),
        (status(400), false),
        (status(404), false),
        (status(409), false),
    ];
    for (outcome, retried) in table {
        assert_eq!(rules.decide(&get, &outcome).is_retry(), retried, "{outcome:?}");
    }
}

#[test]
fn retry_on_is_configurable() {
    let config = RetryConfig {
        retry_on: "transport, 500, 4XX".into(),
        ..Default::default()
    };
    let rules = Classifier::from_config(&config);
    let get = RequestInfo::new("GET");
    assert!(rules.decide(&get, &status(500)).is_retry());
    assert!(rules.decide(&get, &status(418)).is_retry());
    assert!(rules.decide(&get, &Outcome::Transport).is_retry());
    assert!(
        !rules.decide(&get, &status(503)).is_retry(),
        "not listed any more"
    );
    assert!(
        !rules.decide(&get, &Outcome::Connect).is_retry(),
        "not listed any more"
    );
}

#[test]
fn retry_on_text_round_trips_and_rejects_junk() {
    assert_eq!(RetryOn::default().to_string(), RetryOn::DEFAULT_TEXT);
    assert_eq!(RetryOn::parse(RetryOn::DEFAULT_TEXT), Ok(RetryOn::default()));
    assert_eq!(RetryOn::parse("").map(|o| o.to_string()), Ok(String::new()));
    for junk in ["teapot", "600", "99", "6xx", "5x", "503;504"] {
        let err = RetryOn::parse(junk).unwrap_err();
        assert!(err.contains("`retry_on` entry"), "{junk}: {err}");
    }
}

#[test]
fn a_custom_predicate_replaces_retry_on_but_not_the_idempotency_rules() {
    let rules = Classifier::new(RetryOn::default()).retry_if(|o| *o == status(409));
    assert!(rules.decide(&RequestInfo::new("PUT"), &status(409)).is_retry());
    assert!(!rules.decide(&RequestInfo::new("PUT"), &status(503)).is_retry());
    assert!(
        !rules.decide(&RequestInfo::new("POST"), &status(409)).is_retry(),
        "POST reached the server"
    );
}

#[test]
fn idempotent_methods() {
    for method in ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "get"] {
        assert!(is_idempotent_method(method), "{method}");
    }
    for method in ["POST", "PATCH", "CONNECT", "PURGE"] {
        assert!(!is_idempotent_method(method), "{method}");
    }
}

/// POST and PATCH are retried only for failures before any byte was sent, unless the request or
/// the connection opts in; streaming bodies never.
#[test]
fn idempotency_rules() {
    let bytes = BodyKind::Replayable;
    for method in ["POST", "PATCH"] {
        let req = RequestInfo::new(method).body(bytes);
        assert!(may_replay(&req, false, false), "{method}: nothing was sent");
        assert!(!may_replay(&req, true, false), "{method}: may have been applied");
        assert!(may_replay(&req, true, true), "{method}: connection opted in");
        assert!(
            may_replay(&req.idempotent(true), true, false),
            "{method}: request opted in"
        );
    }
    for method in ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"] {
        assert!(
            may_replay(&RequestInfo::new(method).body(bytes), true, false),
            "{method}"
        );
    }
    let stream = RequestInfo::new("PUT").body(BodyKind::Streaming).idempotent(true);
    assert!(
        !may_replay(&stream, false, true),
        "a consumed stream cannot be sent again"
    );
    assert!(
        !may_replay(&RequestInfo::new("GET").idempotent(false), true, true),
        "the request said no"
    );
}

#[test]
fn classifier_applies_idempotency_to_each_outcome() {
    let rules = Classifier::new(RetryOn::default());
    let post = RequestInfo::new("POST").body(BodyKind::Replayable);
    assert!(
        rules.decide(&post, &Outcome::Connect).is_retry(),
        "reset before the request was written"
    );
    assert!(
        rules.decide(&post, &Outcome::Timeout { sent: false }).is_retry(),
        "connect timeout"
    );
    assert!(!rules.decide(&post, &Outcome::Timeout { sent: true }).is_retry());
    assert!(
        !rules.decide(&post, &status(503)).is_retry(),
        "a POST answered 503 is not sent again"
    );
    let opted_in = rules.clone().non_idempotent(true);
    assert!(opted_in.decide(&post, &status(503)).is_retry());
    let config = RetryConfig {
        non_idempotent: true,
        ..Default::default()
    };
    assert!(
        Classifier::from_config(&config)
            .decide(&post, &status(503))
            .is_retry()
    );
}

#[test]
fn retry_after_in_seconds_and_as_a_date() {
    assert_eq!(
        RetryAfter::parse("7"),
        Some(RetryAfter::Delay(Duration::from_secs(7)))
    );
    assert_eq!(RetryAfter::parse("0"), Some(RetryAfter::Delay(Duration::ZERO)));
    let huge = RetryAfter::parse("99999999999999999999999").map(|r| r.delay());
    assert_eq!(
        huge,
        Some(Duration::from_secs(u64::MAX)),
        "too many seconds is a long time, not junk"
    );
    let now = SystemTime::now();
    let in_a_minute = RetryAfter::At(now + Duration::from_secs(60)).to_string();
    let delay = RetryAfter::parse(&in_a_minute).map(|r| r.delay_from(now));
    let delay = delay.unwrap_or_default();
    assert!(
        delay > Duration::from_secs(58) && delay <= Duration::from_secs(60),
        "{delay:?}"
    );
    let past = RetryAfter::At(now - Duration::from_secs(60)).to_string();
    assert_eq!(
        RetryAfter::parse(&past).map(|r| r.delay_from(now)),
        Some(Duration::ZERO)
    );
    for junk in ["", "-1", "1.5", "soon", "Tomorrow"] {
        assert_eq!(RetryAfter::parse(junk), None, "{junk:?}");
    }
}

#[test]
fn the_decision_carries_the_servers_wait() {
    let rules = Classifier::new(RetryOn::default());
    let busy = Outcome::Status {
        code: 429,
        retry_after: RetryAfter::parse("3"),
    };
    let decision = rules.decide(&RequestInfo::new("GET"), &busy);
    assert_eq!(
        decision,
        Decision::Retry {
            after: Some(Duration::from_secs(3))
        }
    );
}
