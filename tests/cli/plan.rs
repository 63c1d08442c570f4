//! `plan`: what candidate files would change on a running service, and how each change applies.

use connfx::cli::Outcome;

use crate::sandbox::Sandbox;
use crate::{json, orders_in_memory, shop};

#[tokio::test]
async fn each_change_with_its_old_and_new_value_and_how_it_applies() {
    let sandbox = Sandbox::new();
    let candidate = sandbox.file(
        "candidate.toml",
        "[catalog]\nurl = \"http://shop:hunter2@127.0.0.1:9/v2\"\nretry = { max_attempts = 5 }\n",
    );
    let path = candidate.to_str().unwrap();
    let (outcome, out) = shop(&["plan", path], orders_in_memory()).await;
    assert_eq!(outcome, Outcome::Ok, "{out}");
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["SETTING", "OLD", "NEW", "APPLIES"]);
    assert_eq!(rows[1], ["catalog.retry.max_attempts", "3", "5", "live"], "{out}");
    assert_eq!(
        rows[2],
        [
            "catalog.url",
            "http://127.0.0.1:9/api",
            "http://shop:[redacted]@127.0.0.1:9/v2",
            "reconnect"
        ]
    );
    assert_eq!(
        out.lines().last(),
        Some("2 changes, all applicable without a restart")
    );
    assert!(!out.contains("hunter2"));

    let (outcome, out) = shop(&["plan", path, "--format", "json"], orders_in_memory()).await;
    assert_eq!(outcome, Outcome::Ok);
    let doc = json(&out);
    assert_eq!(doc["applicable"], true);
    assert_eq!(doc["changes"][0]["path"], "catalog.retry.max_attempts");
    assert_eq!(doc["changes"][0]["applied"], "live");
    assert_eq!(doc["changes"][1]["applied"], "reconnected");
    assert!(!out.contains("hunter2"));
}

#[tokio::test]
async fn a_candidate_the_same_as_what_runs_is_no_change() {
    let sandbox = Sandbox::new();
    let candidate = sandbox.file("same.toml", "[catalog]\nretry = { max_attempts = 3 }\n");
    let (outcome, out) = shop(&["plan", candidate.to_str().unwrap()], orders_in_memory()).await;
    assert_eq!(outcome, Outcome::Ok);
    assert_eq!(out, "no change: the candidate says what runs now\n");
}

#[tokio::test]
async fn an_invalid_candidate_or_one_needing_a_restart_exits_2_naming_the_key() {
    let sandbox = Sandbox::new();
    let invalid = sandbox.file("invalid.toml", "[catalog]\nretry = { max_attempts = 0 }\n");
    let (outcome, out) = shop(&["plan", invalid.to_str().unwrap()], orders_in_memory()).await;
    assert_eq!(outcome, Outcome::Invalid);
    assert!(out.starts_with("catalog.retry.max_attempts (file "), "{out}");

    let added = sandbox.file("audit.toml", "[audit]\nurl = \"http://127.0.0.1:9/audit\"\n");
    let (outcome, out) = shop(
        &["plan", added.to_str().unwrap(), "--format", "json"],
        orders_in_memory(),
    )
    .await;
    assert_eq!(outcome, Outcome::Invalid, "{out}");
    let doc = json(&out);
    assert_eq!(
        (doc["valid"].clone(), doc["applicable"].clone()),
        (true.into(), false.into())
    );
    assert_eq!(doc["refused"][0]["path"], "audit");
    assert!(
        doc["refused"][0]["message"].as_str().unwrap().contains("restart"),
        "{out}"
    );
}
