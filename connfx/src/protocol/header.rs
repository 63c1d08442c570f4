//! One configured header (`headers("Name" = "value")`) as an `http` header, the same way for
//! every protocol that sends them.

use http::{HeaderName, HeaderValue};

/// The header `name: value`, the value marked `sensitive` (so `http`'s `Debug` hides it) when
/// asked.
///
/// # Errors
/// A message naming the header at fault, never its value.
pub(crate) fn parse(name: &str, value: &str, sensitive: bool) -> Result<(HeaderName, HeaderValue), String> {
    let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        format!(
            "`headers`: {} is not a valid header name",
            connfx_spec::message::quoted(name)
        )
    })?;
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| format!("`headers`: the value of `{name}` holds a character a header value may not"))?;
    value.set_sensitive(sensitive);
    Ok((header, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_header_but_never_the_value() {
        let err = parse("x-token", "bad\nvalue", true).expect_err("a newline is refused");
        assert!(err.contains("x-token") && !err.contains("bad"), "{err}");
        assert!(parse("bad name", "v", false).is_err());
        let (name, value) = parse("X-Key", "k", true).expect("valid");
        assert_eq!(name, "x-key");
        assert!(value.is_sensitive());
    }
}
