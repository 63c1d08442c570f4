//! The text being rendered, and the first reason it is not valid GraphQL.
//!
//! One pass renders and checks, so `Display` and `build` cannot disagree on the text.

/// Rendered text plus the first problem met.
#[derive(Debug, Default)]
pub(super) struct Writer {
    out: String,
    problem: Option<String>,
}

impl Writer {
    /// Appends punctuation or an already-valid token.
    pub(super) fn text(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// Appends a GraphQL name, noting a problem if it is not one; `what` says whose name it is.
    pub(super) fn name(&mut self, what: &str, name: &str) {
        if !is_name(name) {
            self.fail(format!("{what} `{name}` is not a GraphQL name"));
        }
        self.out.push_str(name);
    }

    /// Appends a variable's type (`ID`, `[String!]!`), noting a problem if it is not one.
    pub(super) fn type_ref(&mut self, variable: &str, ty: &str) {
        if !is_type(ty) {
            self.fail(format!(
                "the type of `${variable}`, `{ty}`, is not a GraphQL type such as `ID!` or `[String!]`"
            ));
        }
        self.out.push_str(ty);
    }

    /// Notes a problem; the first one is kept.
    pub(super) fn fail(&mut self, problem: String) {
        self.problem.get_or_insert(problem);
    }

    pub(super) fn output(&self) -> &str {
        &self.out
    }

    /// The text, or the first problem.
    pub(super) fn finish(self) -> Result<String, String> {
        match self.problem {
            Some(problem) => Err(problem),
            None => Ok(self.out),
        }
    }
}

/// `/[_A-Za-z][_0-9A-Za-z]*/`.
pub(super) fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// `Name`, `[Type]`, either followed by one `!`; written without spaces.
fn is_type(ty: &str) -> bool {
    let ty = ty.strip_suffix('!').unwrap_or(ty);
    match ty.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').is_some_and(is_type),
        None => is_name(ty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        for good in ["a", "_x", "Hero2", "__typename"] {
            assert!(is_name(good), "{good}");
        }
        for bad in ["", "2a", "a-b", "a b", "é"] {
            assert!(!is_name(bad), "{bad}");
        }
        for good in ["ID", "ID!", "[ID]", "[ID!]!", "[[Int]!]"] {
            assert!(is_type(good), "{good}");
        }
        for bad in ["", "!", "ID!!", "[ID", "ID]", "[]", "[ ID ]", "[ID]!!"] {
            assert!(!is_type(bad), "{bad}");
        }
    }
}
