//! Queries and mutations: what is sent, how data and errors come back.

use connfx::protocol::graphql::{Field, InputValue, Location, Operation, OperationType, PathSegment};
use connfx::{CallError, Connection, GraphqlError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::connect;
use super::server::Server;

#[derive(Debug, Deserialize, PartialEq)]
struct HeroData {
    hero: Hero,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Hero {
    id: String,
    name: String,
}

/// Answers `hero` with the `id` variable it was sent.
async fn hero_server() -> Server {
    Server::start(|_, body| {
        let id = body["variables"]["id"].clone();
        (
            200,
            json!({ "data": { "hero": { "id": id, "name": "Luke Skywalker" } } }),
        )
    })
    .await
}

#[tokio::test]
async fn typed_data_is_decoded_and_variables_arrive() {
    let server = hero_server().await;
    let api = connect(&server.url, json!({})).await;
    let query = "query Hero($id: ID!) { hero(id: $id) { id name } }";
    let data: HeroData = api.query(query, json!({ "id": "1000" })).await.unwrap();
    assert_eq!(
        data.hero,
        Hero {
            id: "1000".into(),
            name: "Luke Skywalker".into()
        }
    );

    let seen = &server.seen()[0];
    assert_eq!(seen.path, "/graphql");
    assert_eq!(
        seen.body,
        json!({ "query": query, "variables": { "id": "1000" } })
    );
    assert_eq!(seen.headers["content-type"], "application/json");
    assert_eq!(
        seen.headers["accept"],
        "application/graphql-response+json, application/json"
    );
}

#[tokio::test]
async fn typed_variables_and_none() {
    #[derive(serde::Serialize)]
    struct Vars<'a> {
        id: &'a str,
    }
    let server = hero_server().await;
    let api = connect(&server.url, json!({})).await;
    let data: HeroData = api
        .query("query($id: ID!) { hero(id: $id) { id name } }", Vars { id: "7" })
        .await
        .unwrap();
    assert_eq!(data.hero.id, "7");

    let _: Value = api.query("{ hero { name } }", ()).await.unwrap();
    let body = &server.seen()[1].body;
    assert_eq!(
        body,
        &json!({ "query": "{ hero { name } }" }),
        "no `variables` key"
    );

    let err = api.query::<Value>("{ a }", [1, 2]).await.unwrap_err();
    assert!(matches!(err, CallError::InvalidRequest { .. }), "{err}");
    assert_eq!(server.count(), 2, "an invalid request is not sent");
}

#[tokio::test]
async fn operation_name_headers_and_the_builder() {
    let server = hero_server().await;
    let api = connect(&server.url, json!({ "headers": { "x-tenant": "eu" } })).await;
    let op = Operation::query().name("Hero").variable("id", "ID!").field(
        Field::new("hero")
            .arg("id", InputValue::variable("id"))
            .fields(["id", "name"]),
    );
    let data: HeroData = api
        .operation(&op)
        .variables(json!({ "id": "2001" }))
        .header("x-request-id", "r1")
        .send()
        .await
        .unwrap();
    assert_eq!(data.hero.id, "2001");
    let seen = &server.seen()[0];
    assert_eq!(
        seen.body,
        json!({
            "query": "query Hero($id: ID!) { hero(id: $id) { id name } }",
            "operationName": "Hero",
            "variables": { "id": "2001" },
        })
    );
    assert_eq!(seen.headers["x-tenant"], "eu");
    assert_eq!(seen.headers["x-request-id"], "r1");

    let _: Value = api
        .request(OperationType::Query, "query A { a } query B { b }")
        .operation_name("B")
        .send()
        .await
        .unwrap();
    assert_eq!(server.seen()[1].body["operationName"], "B");

    let invalid = Operation::query().field(Field::new("hero").arg("id", InputValue::variable("id")));
    let err = api.operation(&invalid).send::<Value>().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "`api`: invalid request: not a valid GraphQL document: the variable `$id` is used but not defined"
    );
    assert_eq!(server.count(), 2, "an invalid operation is not sent");
}

fn error_answer() -> Value {
    json!({
        "data": null,
        "errors": [
            {
                "message": "hero 9 not found",
                "locations": [{ "line": 1, "column": 22 }],
                "path": ["hero", "friends", 0, "name"],
                "extensions": { "code": "NOT_FOUND", "retryable": false },
            },
            { "message": "second problem" },
        ],
    })
}

#[tokio::test]
async fn errors_are_surfaced_with_locations_path_and_extensions() {
    let server = Server::always(200, error_answer()).await;
    let api = connect(&server.url, json!({})).await;
    let err = api
        .query::<HeroData>("query { hero(id: 9) { friends { name } } }", ())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`api`: GraphQL errors: hero 9 not found (at hero.friends.0.name); second problem"
    );
    let CallError::Graphql { connection, errors } = err else {
        panic!("not a GraphQL error: {err:?}");
    };
    assert_eq!(connection, "api");
    assert_eq!(errors.len(), 2);
    let first = &errors[0];
    assert_eq!(first.message, "hero 9 not found");
    assert_eq!(first.locations, [Location { line: 1, column: 22 }]);
    assert_eq!(
        first.path,
        [
            PathSegment::Field("hero".into()),
            PathSegment::Field("friends".into()),
            PathSegment::Index(0),
            PathSegment::Field("name".into()),
        ]
    );
    assert_eq!(first.extensions["code"], "NOT_FOUND");
    assert_eq!(first.extensions["retryable"], false);
    assert_eq!(errors[1], GraphqlError::new("second problem"));
}

#[tokio::test]
async fn partial_data_comes_with_its_errors_through_execute() {
    #[derive(Debug, Deserialize)]
    struct Feed {
        posts: Option<Vec<String>>,
        ads: Option<Vec<String>>,
    }
    let answer = json!({
        "data": { "posts": ["p1", "p2"], "ads": null },
        "errors": [{ "message": "ads are down", "path": ["ads"] }],
        "extensions": { "cost": 3 },
    });
    let server = Server::always(200, answer).await;
    let api = connect(&server.url, json!({})).await;

    let response = api
        .request(OperationType::Query, "{ posts ads }")
        .execute::<Feed>()
        .await
        .unwrap();
    let feed = response.data.as_ref().unwrap();
    assert_eq!(
        feed.posts.as_deref(),
        Some(&["p1".to_owned(), "p2".to_owned()][..])
    );
    assert!(feed.ads.is_none());
    assert_eq!(response.errors[0].message, "ads are down");
    assert_eq!(response.extensions["cost"], 3);

    let err = api.query::<Feed>("{ posts ads }", ()).await.unwrap_err();
    assert!(
        matches!(err, CallError::Graphql { .. }),
        "query fails on any error: {err}"
    );
}

#[tokio::test]
async fn null_data_without_errors_is_a_decode_error() {
    let server = Server::always(200, json!({ "data": null })).await;
    let api = connect(&server.url, json!({})).await;
    let err = api.query::<Value>("{ a }", ()).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Decode { message, .. } if message.contains("neither `data` nor `errors`")),
        "{err}"
    );
}

#[tokio::test]
async fn data_of_the_wrong_shape_is_a_decode_error() {
    let server = Server::always(200, json!({ "data": { "hero": { "name": 3 } } })).await;
    let api = connect(&server.url, json!({})).await;
    let err = api
        .query::<HeroData>("{ hero { id name } }", ())
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Decode { .. }), "{err}");
}

#[tokio::test]
async fn a_4xx_graphql_answer_is_a_graphql_error_and_other_statuses_stay_statuses() {
    let server = Server::start(|n, _| match n {
        1 => (
            400,
            json!({ "errors": [{ "message": "Syntax Error: Expected Name, found <EOF>.", "locations": [{"line": 1, "column": 4}] }] }),
        ),
        2 => (401, json!({ "message": "no token" })),
        _ => (500, json!({ "errors": [{ "message": "boom" }] })),
    })
    .await;
    let api = connect(&server.url, json!({})).await;
    let err = api.query::<Value>("{ a", ()).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Graphql { errors, .. } if errors[0].locations[0].column == 4),
        "{err}"
    );
    let err = api.query::<Value>("{ a }", ()).await.unwrap_err();
    assert!(matches!(err, CallError::Status { code: 401, .. }), "{err}");
    let err = api.query::<Value>("{ a }", ()).await.unwrap_err();
    assert!(matches!(err, CallError::Status { code: 500, .. }), "{err}");
}

#[tokio::test]
async fn a_mutation_returns_its_data() {
    let server = Server::start(|_, body| {
        (
            200,
            json!({ "data": { "addNote": { "text": body["variables"]["text"] } } }),
        )
    })
    .await;
    let api = connect(&server.url, json!({})).await;
    let data: Value = api
        .mutate(
            "mutation($text: String!) { addNote(text: $text) { text } }",
            json!({ "text": "say \"hi\"" }),
        )
        .await
        .unwrap();
    assert_eq!(data["addNote"]["text"], "say \"hi\"");
}

#[tokio::test]
async fn a_closed_connection_sends_nothing() {
    let server = hero_server().await;
    let api = connect(&server.url, json!({})).await;
    api.close().await;
    let err = api.query::<Value>("{ a }", ()).await.unwrap_err();
    assert!(matches!(err, CallError::Closed { .. }), "{err}");
    assert_eq!(server.count(), 0);
}
