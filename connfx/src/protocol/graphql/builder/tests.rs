//! Exact output text of the builder, escaping included, and the problems `build` reports.

use super::*;

fn built(op: &Operation) -> String {
    op.build().unwrap_or_else(|e| panic!("{e}"))
}

fn problem(op: &Operation) -> String {
    op.build().expect_err("invalid").message().to_owned()
}

#[test]
fn anonymous_query_with_leaf_fields() {
    let op = Operation::query().fields(["id", "__typename"]);
    assert_eq!(built(&op), "query { id __typename }");
}

#[test]
fn named_mutation_with_variables_defaults_and_aliases() {
    let op = Operation::mutation()
        .name("AddReview")
        .variable("ep", "Episode!")
        .variable_with_default("stars", "Int", 5)
        .variable_with_default("tags", "[String!]", InputValue::list(["good", "long"]))
        .field(
            Field::new("createReview")
                .alias("review")
                .arg("episode", InputValue::variable("ep"))
                .arg(
                    "review",
                    InputValue::object([
                        ("stars", InputValue::variable("stars")),
                        ("tags", InputValue::variable("tags")),
                    ]),
                )
                .fields(["stars", "commentary"]),
        );
    assert_eq!(
        built(&op),
        "mutation AddReview($ep: Episode!, $stars: Int = 5, $tags: [String!] = [\"good\", \"long\"]) \
         { review: createReview(episode: $ep, review: {stars: $stars, tags: $tags}) { stars commentary } }"
    );
    assert_eq!(op.operation_type(), OperationType::Mutation);
    assert_eq!(op.operation_name(), Some("AddReview"));
}

#[test]
fn literal_values_in_graphql_syntax() {
    let op = Operation::query().field(
        Field::new("search")
            .arg(
                "text",
                "a \"quoted\" \\ back\nslash\ttab\r\u{8}\u{c}\u{1}\u{7f} é ☃",
            )
            .arg("first", 10)
            .arg("ratio", 0.5)
            .arg("big", 1e16)
            .arg("whole", 2.0)
            .arg("negative", -3)
            .arg("on", true)
            .arg("off", false)
            .arg("none", None::<i32>)
            .arg("episode", InputValue::enum_value("NEW_HOPE"))
            .arg("ids", vec![1, 2, 3])
            .arg("empty", InputValue::List(vec![]))
            .arg(
                "filter",
                InputValue::object([
                    ("name", InputValue::from("x")),
                    (
                        "nested",
                        InputValue::object([("deep", InputValue::enum_value("A"))]),
                    ),
                    ("empty", InputValue::Object(vec![])),
                ]),
            )
            .field("id"),
    );
    assert_eq!(
        built(&op),
        r#"query { search(text: "a \"quoted\" \\ back\nslash\ttab\r\b\f\u0001\u007F é ☃", first: 10, ratio: 0.5, big: 1e16, whole: 2.0, negative: -3, on: true, off: false, none: null, episode: NEW_HOPE, ids: [1, 2, 3], empty: [], filter: {name: "x", nested: {deep: A}, empty: {}}) { id } }"#
    );
}

#[test]
fn json_values_become_graphql_literals() {
    let value = InputValue::from(serde_json::json!({
        "b": [1, 2.5, "x\"y"],
        "a": null,
        "c": { "d": true },
        "e": u64::MAX,
    }));
    // serde_json's map is ordered by key.
    assert_eq!(
        value.to_string(),
        r#"{a: null, b: [1, 2.5, "x\"y"], c: {d: true}, e: 1.8446744073709552e19}"#
    );
}

#[test]
fn fragments_spreads_and_inline_fragments() {
    let op = Operation::query()
        .name("Hero")
        .variable("id", "ID!")
        .field(
            Field::new("hero")
                .arg("id", InputValue::variable("id"))
                .spread("Named")
                .inline(
                    InlineFragment::on("Droid")
                        .field("primaryFunction")
                        .spread("Ided"),
                )
                .inline(
                    InlineFragment::on("Human")
                        .field(Field::new("height").arg("unit", InputValue::enum_value("METER"))),
                ),
        )
        .fragment(Fragment::new("Named", "Character").field("name"))
        .fragment(Fragment::new("Ided", "Node").field("id"));
    assert_eq!(
        built(&op),
        "query Hero($id: ID!) { hero(id: $id) { ...Named ... on Droid { primaryFunction ...Ided } \
         ... on Human { height(unit: METER) } } } fragment Named on Character { name } fragment Ided on Node { id }"
    );
}

#[test]
fn a_variable_used_only_in_a_fragment_counts_as_used() {
    let op = Operation::query()
        .variable("size", "Int")
        .field(Field::new("me").spread("Pic"))
        .fragment(
            Fragment::new("Pic", "User")
                .field(Field::new("picture").arg("size", InputValue::variable("size"))),
        );
    assert_eq!(
        built(&op),
        "query ($size: Int) { me { ...Pic } } fragment Pic on User { picture(size: $size) }"
    );
}

#[test]
fn names_are_checked() {
    assert_eq!(
        problem(&Operation::query().field("a b")),
        "field name `a b` is not a GraphQL name"
    );
    assert_eq!(
        problem(&Operation::query().name("1st").field("a")),
        "operation name `1st` is not a GraphQL name"
    );
    assert_eq!(
        problem(&Operation::query().field(Field::new("a").alias("x-y"))),
        "alias `x-y` is not a GraphQL name"
    );
    assert_eq!(
        problem(&Operation::query().field(Field::new("a").arg("b c", 1))),
        "argument name `b c` is not a GraphQL name"
    );
    assert_eq!(
        problem(&Operation::query().field(Field::new("a").arg("b", InputValue::object([("k-1", 1)])))),
        "object key `k-1` is not a GraphQL name"
    );
    assert_eq!(
        problem(&Operation::query().field(Field::new("a").arg("b", InputValue::enum_value("null")))),
        "`null` cannot be an enum value"
    );
    assert_eq!(
        problem(&Operation::query().field(Field::new("a").arg("b", f64::NAN))),
        "`NaN` is not a GraphQL number"
    );
}

#[test]
fn injection_through_a_name_is_refused() {
    let op = Operation::query().field("a } mutation { deleteAll");
    assert_eq!(
        problem(&op),
        "field name `a } mutation { deleteAll` is not a GraphQL name"
    );
}

#[test]
fn types_and_defaults_are_checked() {
    let op = Operation::query()
        .variable("id", "ID !")
        .field(Field::new("a").arg("id", InputValue::variable("id")));
    assert_eq!(
        problem(&op),
        "the type of `$id`, `ID !`, is not a GraphQL type such as `ID!` or `[String!]`"
    );
    let op = Operation::query()
        .variable("a", "Int")
        .variable_with_default("b", "Int", InputValue::variable("a"))
        .field(
            Field::new("f")
                .arg("a", InputValue::variable("a"))
                .arg("b", InputValue::variable("b")),
        );
    assert_eq!(problem(&op), "a default value cannot use the variable `$a`");
}

#[test]
fn definitions_and_uses_must_agree() {
    let field = |var: &str| Field::new("f").arg("x", InputValue::variable(var));
    assert_eq!(
        problem(&Operation::query().variable("a", "Int").field(field("b"))),
        "the variable `$b` is used but not defined"
    );
    assert_eq!(
        problem(
            &Operation::query()
                .variable("a", "Int")
                .variable("b", "Int")
                .field(field("a"))
        ),
        "the variable `$b` is defined but not used"
    );
    assert_eq!(
        problem(
            &Operation::query()
                .variable("a", "Int")
                .variable("a", "ID")
                .field(field("a"))
        ),
        "the variable `$a` is defined twice"
    );
    assert_eq!(
        problem(&Operation::query().field(Field::new("me").spread("F"))),
        "the fragment `F` is spread but not defined"
    );
    assert_eq!(
        problem(
            &Operation::query()
                .field("me")
                .fragment(Fragment::new("F", "User").field("id"))
        ),
        "the fragment `F` is defined but not used"
    );
    let twice = Operation::query()
        .field(Field::new("me").spread("F"))
        .fragment(Fragment::new("F", "User").field("id"))
        .fragment(Fragment::new("F", "User").field("name"));
    assert_eq!(problem(&twice), "the fragment `F` is defined twice");
    assert_eq!(
        problem(
            &Operation::query()
                .field(Field::new("me").spread("on"))
                .fragment(Fragment::new("on", "User").field("id"))
        ),
        "a fragment cannot be called `on`"
    );
}

#[test]
fn empty_selection_sets_are_refused() {
    assert_eq!(problem(&Operation::mutation()), "the mutation selects no field");
    assert_eq!(
        problem(&Operation::query().field(Field::new("me").inline(InlineFragment::on("User")))),
        "the inline fragment on `User` selects no field"
    );
    // Display still renders what it has, for debugging.
    assert_eq!(Operation::query().to_string(), "query { }");
}

#[test]
fn output_is_deterministic() {
    let make = || {
        Operation::query()
            .field(
                Field::new("a")
                    .arg("z", 1)
                    .arg("y", 2)
                    .arg("x", InputValue::object([("q", 1), ("p", 2)])),
            )
            .build()
            .unwrap()
    };
    assert_eq!(make(), make());
    assert_eq!(make(), "query { a(z: 1, y: 2, x: {q: 1, p: 2}) }");
}
