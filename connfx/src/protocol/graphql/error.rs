//! [`GraphqlError`]: one entry of a GraphQL answer's `errors` list.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One error of a GraphQL answer, as the [GraphQL spec](https://spec.graphql.org/October2021/#sec-Errors)
/// describes it. [`CallError::Graphql`](crate::CallError::Graphql) carries a list of them.
///
/// `Display` shows the message, then the path when there is one:
/// `hero not found (at hero.friends.0)`.
///
/// ```
/// use connfx::GraphqlError;
///
/// let error: GraphqlError = serde_json::from_value(serde_json::json!({
///     "message": "hero not found",
///     "locations": [{ "line": 1, "column": 3 }],
///     "path": ["hero", "friends", 0],
///     "extensions": { "code": "NOT_FOUND" },
/// }))
/// .unwrap();
/// assert_eq!(error.locations[0].line, 1);
/// assert_eq!(error.extensions["code"], "NOT_FOUND");
/// assert_eq!(error.to_string(), "hero not found (at hero.friends.0)");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphqlError {
    /// What went wrong, for people.
    pub message: String,
    /// Where in the query text, if the server says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// Which field of the answer failed: names and list indices from the root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<PathSegment>,
    /// Anything else the server adds (error codes, classification, …).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extensions: Map<String, Value>,
}

impl GraphqlError {
    /// An error with only a message.
    ///
    /// ```
    /// let error = connfx::GraphqlError::new("not allowed");
    /// assert!(error.path.is_empty());
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        GraphqlError {
            message: message.into(),
            locations: Vec::new(),
            path: Vec::new(),
            extensions: Map::new(),
        }
    }
}

impl fmt::Display for GraphqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some((first, rest)) = self.path.split_first() {
            write!(f, " (at {first}")?;
            rest.iter().try_for_each(|segment| write!(f, ".{segment}"))?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphqlError {}

/// A position in the query text: line and column, both counted from 1.
///
/// ```
/// let at = connfx::protocol::graphql::Location { line: 2, column: 5 };
/// assert_eq!(at.to_string(), "2:5");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One step of an error's [`path`](GraphqlError::path): a field name (or alias), or a list index.
///
/// ```
/// use connfx::protocol::graphql::PathSegment;
///
/// let path: Vec<PathSegment> = serde_json::from_str(r#"["hero", 0]"#).unwrap();
/// assert_eq!(path, [PathSegment::Field("hero".into()), PathSegment::Index(0)]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    /// A list index.
    Index(u64),
    /// A field's response name.
    Field(String),
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSegment::Index(i) => write!(f, "{i}"),
            PathSegment::Field(name) => f.write_str(name),
        }
    }
}

/// The messages of `errors`, `; `-separated, for [`CallError::Graphql`](crate::CallError::Graphql)'s
/// `Display`.
pub(crate) fn messages(errors: &[GraphqlError]) -> String {
    match errors {
        [] => "no error listed".to_owned(),
        errors => errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_listed_with_their_paths() {
        let mut second = GraphqlError::new("b failed");
        second.path = vec![PathSegment::Field("b".into()), PathSegment::Index(2)];
        assert_eq!(
            messages(&[GraphqlError::new("a failed"), second]),
            "a failed; b failed (at b.2)"
        );
        assert_eq!(messages(&[]), "no error listed");
    }

    #[test]
    fn only_the_message_is_required() {
        let error: GraphqlError = serde_json::from_str(r#"{"message":"x"}"#).unwrap();
        assert_eq!(error, GraphqlError::new("x"));
        assert_eq!(serde_json::to_string(&error).unwrap(), r#"{"message":"x"}"#);
    }
}
