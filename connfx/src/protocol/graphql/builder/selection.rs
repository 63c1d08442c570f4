//! Selection sets: [`Field`]s with aliases and arguments, fragment spreads, [`InlineFragment`]s,
//! and named [`Fragment`] definitions.

use super::value::InputValue;
use super::writer::Writer;

/// One entry of a selection set.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Selection {
    Field(Field),
    /// `...Name`.
    Spread(String),
    Inline(InlineFragment),
}

/// Writes `{ a b { c } }`; an empty set is a problem, reported as `owner` selecting nothing.
pub(super) fn write_set(w: &mut Writer, selections: &[Selection], owner: &str) {
    if selections.is_empty() {
        w.fail(format!("{owner} selects no field"));
    }
    w.text("{");
    for selection in selections {
        w.text(" ");
        match selection {
            Selection::Field(field) => field.write(w),
            Selection::Spread(name) => {
                w.text("...");
                fragment_name(w, name);
            }
            Selection::Inline(inline) => inline.write(w),
        }
    }
    w.text(" }");
}

/// A fragment's name: a GraphQL name other than `on`.
fn fragment_name(w: &mut Writer, name: &str) {
    if name == "on" {
        w.fail("a fragment cannot be called `on`".to_owned());
    }
    w.name("fragment name", name);
}

/// The methods every owner of a selection set has: `field`, `fields`, `spread`, `inline`.
macro_rules! selection_methods {
    ($owner:ty, $example:literal) => {
        impl $owner {
            /// Selects a field: a name (`"id"`) or a [`Field`] with alias, arguments or its own
            /// selections.
            ///
            /// ```
            /// use connfx::protocol::graphql::*;
            #[doc = $example]
            /// let text = owner.field("id").field(Field::new("friends").field("name")).to_string();
            /// assert!(text.ends_with("{ id friends { name } }"), "{text}");
            /// ```
            pub fn field(mut self, field: impl Into<Field>) -> Self {
                self.selections.push(Selection::Field(field.into()));
                self
            }

            /// Selects several fields.
            ///
            /// ```
            /// use connfx::protocol::graphql::*;
            #[doc = $example]
            /// assert!(owner.fields(["id", "name"]).to_string().ends_with("{ id name }"));
            /// ```
            pub fn fields<F: Into<Field>>(mut self, fields: impl IntoIterator<Item = F>) -> Self {
                self.selections
                    .extend(fields.into_iter().map(|f| Selection::Field(f.into())));
                self
            }

            /// Spreads the named fragment here: `...HeroDetails`. Define it with
            /// [`Operation::fragment`](crate::protocol::graphql::Operation::fragment).
            ///
            /// ```
            /// use connfx::protocol::graphql::*;
            #[doc = $example]
            /// assert!(owner.spread("HeroDetails").to_string().ends_with("{ ...HeroDetails }"));
            /// ```
            pub fn spread(mut self, fragment: impl Into<String>) -> Self {
                self.selections.push(Selection::Spread(fragment.into()));
                self
            }

            /// Selects fields only for one type: `... on Droid { primaryFunction }`.
            ///
            /// ```
            /// use connfx::protocol::graphql::*;
            #[doc = $example]
            /// let text = owner.inline(InlineFragment::on("Droid").field("primaryFunction")).to_string();
            /// assert!(text.ends_with("{ ... on Droid { primaryFunction } }"), "{text}");
            /// ```
            pub fn inline(mut self, fragment: InlineFragment) -> Self {
                self.selections.push(Selection::Inline(fragment));
                self
            }
        }
    };
}

/// A field of a selection set: `alias: name(arg: value) { … }`.
///
/// A field without selections is a leaf (`name`); give object-typed fields at least one.
///
/// ```
/// use connfx::protocol::graphql::{Field, InputValue};
///
/// let hero = Field::new("hero")
///     .alias("luke")
///     .arg("id", InputValue::variable("id"))
///     .arg("episode", InputValue::enum_value("EMPIRE"))
///     .fields(["id", "name"]);
/// assert_eq!(hero.to_string(), "luke: hero(id: $id, episode: EMPIRE) { id name }");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    name: String,
    alias: Option<String>,
    pub(super) arguments: Vec<(String, InputValue)>,
    pub(super) selections: Vec<Selection>,
}

impl Field {
    /// The field called `name`.
    ///
    /// ```
    /// assert_eq!(connfx::protocol::graphql::Field::new("__typename").to_string(), "__typename");
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Field {
            name: name.into(),
            alias: None,
            arguments: Vec::new(),
            selections: Vec::new(),
        }
    }

    /// Answers the field under `alias` instead of its name.
    ///
    /// ```
    /// # use connfx::protocol::graphql::Field;
    /// assert_eq!(Field::new("hero").alias("h").field("id").to_string(), "h: hero { id }");
    /// ```
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// Adds an argument; arguments keep the order given.
    ///
    /// ```
    /// # use connfx::protocol::graphql::Field;
    /// let text = Field::new("search").arg("text", "han \"solo\"").arg("first", 3).field("id").to_string();
    /// assert_eq!(text, r#"search(text: "han \"solo\"", first: 3) { id }"#);
    /// ```
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<InputValue>) -> Self {
        self.arguments.push((name.into(), value.into()));
        self
    }

    fn write(&self, w: &mut Writer) {
        if let Some(alias) = &self.alias {
            w.name("alias", alias);
            w.text(": ");
        }
        w.name("field name", &self.name);
        if !self.arguments.is_empty() {
            w.text("(");
            for (i, (name, value)) in self.arguments.iter().enumerate() {
                w.text(if i == 0 { "" } else { ", " });
                w.name("argument name", name);
                w.text(": ");
                value.write(w, false);
            }
            w.text(")");
        }
        if !self.selections.is_empty() {
            w.text(" ");
            write_set(w, &self.selections, "a field");
        }
    }
}

impl From<&str> for Field {
    fn from(name: &str) -> Self {
        Field::new(name)
    }
}

impl From<String> for Field {
    fn from(name: String) -> Self {
        Field::new(name)
    }
}

selection_methods!(Field, "let owner = Field::new(\"hero\");");

/// Fields selected only when the object has a given type: `... on Droid { primaryFunction }`.
///
/// ```
/// use connfx::protocol::graphql::InlineFragment;
///
/// let droid = InlineFragment::on("Droid").field("primaryFunction");
/// assert_eq!(droid.to_string(), "... on Droid { primaryFunction }");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct InlineFragment {
    type_condition: String,
    pub(super) selections: Vec<Selection>,
}

impl InlineFragment {
    /// An inline fragment on the type `type_name`.
    ///
    /// ```
    /// let human = connfx::protocol::graphql::InlineFragment::on("Human").field("height");
    /// ```
    pub fn on(type_name: impl Into<String>) -> Self {
        InlineFragment {
            type_condition: type_name.into(),
            selections: Vec::new(),
        }
    }

    fn write(&self, w: &mut Writer) {
        w.text("... on ");
        w.name("type condition", &self.type_condition);
        w.text(" ");
        let owner = format!("the inline fragment on `{}`", self.type_condition);
        write_set(w, &self.selections, &owner);
    }
}

selection_methods!(InlineFragment, "let owner = InlineFragment::on(\"Droid\");");

/// A named fragment definition, `fragment HeroDetails on Character { … }`, spread into
/// selections with `.spread("HeroDetails")` and added to an operation with
/// [`Operation::fragment`](crate::protocol::graphql::Operation::fragment).
///
/// ```
/// use connfx::protocol::graphql::Fragment;
///
/// let details = Fragment::new("HeroDetails", "Character").fields(["id", "name"]);
/// assert_eq!(details.to_string(), "fragment HeroDetails on Character { id name }");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fragment {
    name: String,
    type_condition: String,
    pub(super) selections: Vec<Selection>,
}

impl Fragment {
    /// The fragment `name` on the type `type_name`.
    ///
    /// ```
    /// let f = connfx::protocol::graphql::Fragment::new("Names", "Character").field("name");
    /// ```
    pub fn new(name: impl Into<String>, type_name: impl Into<String>) -> Self {
        Fragment {
            name: name.into(),
            type_condition: type_name.into(),
            selections: Vec::new(),
        }
    }

    /// The fragment's name.
    ///
    /// ```
    /// assert_eq!(connfx::protocol::graphql::Fragment::new("F", "T").name(), "F");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn write(&self, w: &mut Writer) {
        w.text("fragment ");
        fragment_name(w, &self.name);
        w.text(" on ");
        w.name("type condition", &self.type_condition);
        w.text(" ");
        let owner = format!("the fragment `{}`", self.name);
        write_set(w, &self.selections, &owner);
    }
}

selection_methods!(
    Fragment,
    "let owner = Fragment::new(\"HeroDetails\", \"Character\");"
);

macro_rules! display_by_writer {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            /// The GraphQL text, whether or not it is valid (see [`Operation::build`](crate::protocol::graphql::Operation::build)).
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut w = Writer::default();
                self.write(&mut w);
                f.write_str(w.output())
            }
        }
    )*};
}
display_by_writer!(Field, InlineFragment, Fragment);
