//! [`GraphqlResponse`]: a GraphQL answer with its `data` decoded, and the rules that turn an
//! answer into data or an error.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::GraphqlError;
use crate::CallError;

/// The whole answer to an operation: `data` (possibly partial), `errors` and `extensions`.
///
/// [`GraphqlRequest::execute`](super::GraphqlRequest::execute) returns it for callers that want
/// partial data next to the errors; [`query`](super::GraphqlConnection::query) and
/// [`mutate`](super::GraphqlConnection::mutate) return the data alone, or the errors as
/// [`CallError::Graphql`].
///
/// ```no_run
/// use connfx::GraphqlResponse;
/// use connfx::protocol::graphql::OperationType;
///
/// #[derive(serde::Deserialize)]
/// struct Feed {
///     // `Option`: a field that failed is `null` in partial data.
///     posts: Option<Vec<String>>,
///     ads: Option<Vec<String>>,
/// }
///
/// # async fn run(api: connfx::GraphqlConnection) -> Result<(), connfx::CallError> {
/// let answer: GraphqlResponse<Feed> = api.request(OperationType::Query, "{ posts ads }").execute().await?;
/// for error in &answer.errors {
///     tracing::warn!(%error, "part of the feed failed");
/// }
/// let posts = answer.data.and_then(|feed| feed.posts).unwrap_or_default();
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphqlResponse<T> {
    /// The `data` object, decoded; `None` when the server sent `null` or none (which it does
    /// only along with errors).
    pub data: Option<T>,
    /// The errors, in the server's order; empty when there were none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<GraphqlError>,
    /// The `extensions` object (tracing, cost, …); empty when there was none.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extensions: Map<String, Value>,
}

impl<T> GraphqlResponse<T> {
    /// Whether the answer has errors.
    ///
    /// ```
    /// let answer: connfx::GraphqlResponse<u8> = serde_json::from_str(r#"{"data": 1}"#).unwrap();
    /// assert!(!answer.has_errors());
    /// ```
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// An answer as it arrives, before `data` is decoded. `errors` and `extensions` may be `null`.
#[derive(Debug, Deserialize)]
pub(super) struct Answer {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphqlError>>,
    #[serde(default)]
    extensions: Option<Map<String, Value>>,
}

impl Answer {
    /// Whether the answer lists at least one error.
    pub(super) fn has_errors(&self) -> bool {
        self.errors.as_ref().is_some_and(|e| !e.is_empty())
    }

    /// The first error's message.
    pub(super) fn first_error(&self) -> Option<&str> {
        self.errors.as_ref()?.first().map(|e| e.message.as_str())
    }

    /// Whether `data` is present and not `null`.
    pub(super) fn has_data(&self) -> bool {
        self.data.is_some()
    }

    /// The answer with `data` decoded as `T`.
    ///
    /// # Errors
    /// [`CallError::Decode`] when there is neither data nor an error, or when the data is not a
    /// `T` and there is no error to explain it; [`CallError::Graphql`] when the data is not a
    /// `T` (partial data) and there are errors.
    pub(super) fn decode<T: DeserializeOwned>(
        self,
        connection: &str,
    ) -> Result<GraphqlResponse<T>, CallError> {
        let errors = self.errors.unwrap_or_default();
        let data = match self.data {
            None if errors.is_empty() => {
                return Err(decode_error(
                    connection,
                    "the answer has neither `data` nor `errors`".to_owned(),
                ));
            }
            None => None,
            Some(value) => match serde_json::from_value(value) {
                Ok(data) => Some(data),
                Err(e) if errors.is_empty() => {
                    return Err(decode_error(
                        connection,
                        format!("`data` is not the expected shape: {e}"),
                    ));
                }
                Err(_) => return Err(graphql_error(connection, errors)),
            },
        };
        Ok(GraphqlResponse {
            data,
            errors,
            extensions: self.extensions.unwrap_or_default(),
        })
    }
}

/// The data alone, or the errors as [`CallError::Graphql`].
pub(super) fn into_data<T>(response: GraphqlResponse<T>, connection: &str) -> Result<T, CallError> {
    if response.has_errors() {
        return Err(graphql_error(connection, response.errors));
    }
    // `decode` gives an answer without errors only with data.
    response
        .data
        .ok_or_else(|| decode_error(connection, "the answer has no `data`".to_owned()))
}

fn graphql_error(connection: &str, errors: Vec<GraphqlError>) -> CallError {
    CallError::Graphql {
        connection: connection.to_owned(),
        errors,
    }
}

fn decode_error(connection: &str, message: String) -> CallError {
    CallError::Decode {
        connection: connection.to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> Answer {
        serde_json::from_str(json).unwrap()
    }

    fn data(json: &str) -> Result<Vec<u8>, CallError> {
        answer(json)
            .decode::<Vec<u8>>("api")
            .and_then(|r| into_data(r, "api"))
    }

    #[test]
    fn data_is_decoded() {
        assert_eq!(data(r#"{"data":[1,2]}"#).unwrap(), [1, 2]);
        assert_eq!(
            data(r#"{"data":[1],"errors":null,"extensions":null}"#).unwrap(),
            [1]
        );
    }

    #[test]
    fn null_data_without_errors_is_a_decode_error() {
        for json in [r#"{"data":null}"#, "{}", r#"{"data":null,"errors":[]}"#] {
            let err = data(json).unwrap_err();
            assert!(matches!(err, CallError::Decode { .. }), "{json}: {err}");
        }
    }

    #[test]
    fn errors_win_over_data() {
        let err = data(r#"{"data":[1],"errors":[{"message":"partly failed"}]}"#).unwrap_err();
        assert_eq!(err.to_string(), "`api`: GraphQL errors: partly failed");
        let err = data(r#"{"data":null,"errors":[{"message":"a"},{"message":"b"}]}"#).unwrap_err();
        assert_eq!(err.to_string(), "`api`: GraphQL errors: a; b");
    }

    #[test]
    fn partial_data_that_does_not_fit_reports_the_errors() {
        let result =
            answer(r#"{"data":[1,null],"errors":[{"message":"item 1 failed"}]}"#).decode::<Vec<u8>>("api");
        assert!(
            matches!(result, Err(CallError::Graphql { errors, .. }) if errors[0].message == "item 1 failed")
        );
        let result =
            answer(r#"{"data":[1,null],"errors":[{"message":"x"}]}"#).decode::<Vec<Option<u8>>>("api");
        assert_eq!(result.unwrap().data, Some(vec![Some(1), None]));
    }

    #[test]
    fn data_of_the_wrong_shape_is_a_decode_error() {
        let err = data(r#"{"data":{"a":1}}"#).unwrap_err();
        assert!(
            matches!(&err, CallError::Decode { message, .. } if message.starts_with("`data` is not the expected shape")),
            "{err}"
        );
    }
}
