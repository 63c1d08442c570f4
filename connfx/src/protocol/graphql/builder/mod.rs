//! A small builder of GraphQL query text: [`Operation`], [`Field`], [`InputValue`],
//! [`Fragment`] and [`InlineFragment`].
//!
//! The text is deterministic (everything in the order given), on one line, spaced as GraphQL is
//! usually written (`a: b`, `(x: 1, y: 2)`, `{ a b }`), so it reads well in server logs and can
//! be compared in tests. Directives (`@include`, `@skip`) and subscriptions are not covered.

#[macro_use]
mod selection;
mod uses;
mod value;
mod writer;

#[cfg(test)]
mod tests;

use std::fmt;

pub use selection::{Field, Fragment, InlineFragment};
pub use value::InputValue;

use selection::{Selection, write_set};
use uses::{NameKind, Uses};
use writer::Writer;

/// Whether an operation reads (`query`) or writes (`mutation`). The connection retries queries
/// and not mutations; see [`GraphqlConnection`](super::GraphqlConnection#retries).
///
/// ```
/// use connfx::protocol::graphql::OperationType;
/// assert_eq!(OperationType::Mutation.to_string(), "mutation");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationType {
    /// `query`: reads, safe to send again.
    Query,
    /// `mutation`: writes, sent once.
    Mutation,
}

impl fmt::Display for OperationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
        })
    }
}

/// A variable definition: `$name: Type = default`.
#[derive(Clone, Debug, PartialEq)]
struct Variable {
    name: String,
    ty: String,
    default: Option<InputValue>,
}

/// One GraphQL operation and the fragments it uses: a whole document, ready to send.
///
/// [`build`](Operation::build) checks and renders it; `Display` renders it unchecked.
///
/// ```
/// use connfx::protocol::graphql::{Field, Fragment, InlineFragment, InputValue, Operation};
///
/// let op = Operation::query()
///     .name("Hero")
///     .variable("id", "ID!")
///     .variable_with_default("first", "Int", 3)
///     .field(
///         Field::new("hero")
///             .arg("id", InputValue::variable("id"))
///             .spread("HeroDetails")
///             .field(Field::new("friends").arg("first", InputValue::variable("first")).field("name"))
///             .inline(InlineFragment::on("Droid").field("primaryFunction")),
///     )
///     .fragment(Fragment::new("HeroDetails", "Character").fields(["id", "name"]));
/// assert_eq!(
///     op.build()?,
///     "query Hero($id: ID!, $first: Int = 3) { hero(id: $id) { ...HeroDetails \
///      friends(first: $first) { name } ... on Droid { primaryFunction } } } \
///      fragment HeroDetails on Character { id name }"
/// );
/// # Ok::<(), connfx::protocol::graphql::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    kind: OperationType,
    name: Option<String>,
    variables: Vec<Variable>,
    selections: Vec<Selection>,
    fragments: Vec<Fragment>,
}

impl Operation {
    /// An operation of type `kind`, anonymous, with no variables and nothing selected yet.
    ///
    /// ```
    /// use connfx::protocol::graphql::{Operation, OperationType};
    /// let op = Operation::new(OperationType::Query).field("__typename");
    /// assert_eq!(op.to_string(), "query { __typename }");
    /// ```
    pub fn new(kind: OperationType) -> Self {
        Operation {
            kind,
            name: None,
            variables: Vec::new(),
            selections: Vec::new(),
            fragments: Vec::new(),
        }
    }

    /// A query.
    ///
    /// ```
    /// let op = connfx::protocol::graphql::Operation::query().field("me");
    /// ```
    pub fn query() -> Self {
        Operation::new(OperationType::Query)
    }

    /// A mutation.
    ///
    /// ```
    /// use connfx::protocol::graphql::{Field, InputValue, Operation};
    /// let op = Operation::mutation()
    ///     .variable("text", "String!")
    ///     .field(Field::new("addNote").arg("text", InputValue::variable("text")).field("id"));
    /// assert_eq!(op.to_string(), "mutation ($text: String!) { addNote(text: $text) { id } }");
    /// ```
    pub fn mutation() -> Self {
        Operation::new(OperationType::Mutation)
    }

    /// Names the operation (`query Hero { … }`); the connection sends the name as
    /// `operationName` too.
    ///
    /// ```
    /// # use connfx::protocol::graphql::Operation;
    /// assert_eq!(Operation::query().name("Me").field("me").to_string(), "query Me { me }");
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Declares the variable `$name` of GraphQL type `ty`, written without spaces: `ID!`,
    /// `[String!]`, `EpisodeInput`.
    ///
    /// ```
    /// # use connfx::protocol::graphql::{Field, InputValue, Operation};
    /// let op = Operation::query()
    ///     .variable("ids", "[ID!]!")
    ///     .field(Field::new("nodes").arg("ids", InputValue::variable("ids")).field("id"));
    /// assert_eq!(op.to_string(), "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }");
    /// ```
    pub fn variable(mut self, name: impl Into<String>, ty: impl Into<String>) -> Self {
        self.variables.push(Variable {
            name: name.into(),
            ty: ty.into(),
            default: None,
        });
        self
    }

    /// Declares a variable with a default value (a constant: no variables inside).
    ///
    /// ```
    /// # use connfx::protocol::graphql::{Field, InputValue, Operation};
    /// let op = Operation::query()
    ///     .variable_with_default("episode", "Episode", InputValue::enum_value("JEDI"))
    ///     .field(Field::new("hero").arg("episode", InputValue::variable("episode")).field("name"));
    /// assert_eq!(
    ///     op.to_string(),
    ///     "query ($episode: Episode = JEDI) { hero(episode: $episode) { name } }"
    /// );
    /// ```
    pub fn variable_with_default(
        mut self,
        name: impl Into<String>,
        ty: impl Into<String>,
        default: impl Into<InputValue>,
    ) -> Self {
        self.variables.push(Variable {
            name: name.into(),
            ty: ty.into(),
            default: Some(default.into()),
        });
        self
    }

    /// Adds a fragment definition, rendered after the operation.
    ///
    /// ```
    /// # use connfx::protocol::graphql::{Fragment, Operation};
    /// let op = Operation::query()
    ///     .field(connfx::protocol::graphql::Field::new("me").spread("Names"))
    ///     .fragment(Fragment::new("Names", "User").field("name"));
    /// assert_eq!(op.to_string(), "query { me { ...Names } } fragment Names on User { name }");
    /// ```
    pub fn fragment(mut self, fragment: Fragment) -> Self {
        self.fragments.push(fragment);
        self
    }

    /// Whether this is a query or a mutation.
    ///
    /// ```
    /// # use connfx::protocol::graphql::{Operation, OperationType};
    /// assert_eq!(Operation::mutation().operation_type(), OperationType::Mutation);
    /// ```
    pub fn operation_type(&self) -> OperationType {
        self.kind
    }

    /// The operation's name, if it has one.
    ///
    /// ```
    /// # use connfx::protocol::graphql::Operation;
    /// assert_eq!(Operation::query().name("Me").operation_name(), Some("Me"));
    /// ```
    pub fn operation_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The document's text, after checking that it is valid GraphQL as far as can be told
    /// without the server's schema: every name is a GraphQL name, every variable type a type,
    /// defaults hold no variables, floats are finite, every selection set selects something,
    /// variables are defined once and each is used and each use defined, fragments are defined
    /// once and each is spread and each spread defined.
    ///
    /// # Errors
    /// A [`BuildError`] naming the first problem found.
    ///
    /// ```
    /// use connfx::protocol::graphql::{Field, InputValue, Operation};
    ///
    /// let op = Operation::query().field(Field::new("hero").arg("id", InputValue::variable("id")).field("name"));
    /// let err = op.build().unwrap_err();
    /// assert_eq!(err.message(), "the variable `$id` is used but not defined");
    /// ```
    pub fn build(&self) -> Result<String, BuildError> {
        let mut w = Writer::default();
        self.write(&mut w);
        let text = w.finish().map_err(|message| BuildError { message })?;
        self.check_references()
            .map_err(|message| BuildError { message })?;
        Ok(text)
    }

    fn write(&self, w: &mut Writer) {
        w.text(&self.kind.to_string());
        if let Some(name) = &self.name {
            w.text(" ");
            w.name("operation name", name);
        }
        if !self.variables.is_empty() {
            w.text(if self.name.is_some() { "(" } else { " (" });
            for (i, variable) in self.variables.iter().enumerate() {
                w.text(if i == 0 { "$" } else { ", $" });
                w.name("variable", &variable.name);
                w.text(": ");
                w.type_ref(&variable.name, &variable.ty);
                if let Some(default) = &variable.default {
                    w.text(" = ");
                    default.write(w, true);
                }
            }
            w.text(")");
        }
        w.text(" ");
        write_set(w, &self.selections, &format!("the {}", self.kind));
        for fragment in &self.fragments {
            w.text(" ");
            fragment.write(w);
        }
    }

    /// The checks across the document: definitions and uses of variables and fragments.
    fn check_references(&self) -> Result<(), String> {
        let uses = Uses::of(&self.selections, &self.fragments);
        let variables: Vec<&str> = self.variables.iter().map(|v| v.name.as_str()).collect();
        NameKind::VARIABLE.check(&variables, &uses.variables)?;
        let fragments: Vec<&str> = self.fragments.iter().map(Fragment::name).collect();
        NameKind::FRAGMENT.check(&fragments, &uses.spreads)
    }
}

selection_methods!(Operation, "let owner = Operation::query();");

impl fmt::Display for Operation {
    /// The document's text, unchecked; [`Operation::build`] checks it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Writer::default();
        self.write(&mut w);
        f.write_str(w.output())
    }
}

/// Why an [`Operation`] is not valid GraphQL; see [`Operation::build`].
///
/// ```
/// use connfx::protocol::graphql::Operation;
///
/// let err = Operation::query().field("my-field").build().unwrap_err();
/// assert_eq!(err.to_string(), "not a valid GraphQL document: field name `my-field` is not a GraphQL name");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a valid GraphQL document: {message}")]
pub struct BuildError {
    message: String,
}

impl BuildError {
    /// What is wrong, without the `not a valid GraphQL document` lead.
    ///
    /// ```
    /// let err = connfx::protocol::graphql::Operation::query().build().unwrap_err();
    /// assert_eq!(err.message(), "the query selects no field");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}
