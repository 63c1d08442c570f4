//! Compile-fail cases, one mistake per file, under `tests/ui/<category>/` at the workspace root,
//! and cases that must compile and run under `tests/ui/pass/`. Regenerate a changed `.stderr` with
//! `TRYBUILD=overwrite cargo test -p connfx-macros --test ui`, then read it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("../tests/ui/pass/*.rs");
    for category in [
        "protocol", "type", "key", "literal", "range", "rule", "env", "shape", "combined",
    ] {
        cases.compile_fail(format!("../tests/ui/{category}/*.rs"));
    }
}
