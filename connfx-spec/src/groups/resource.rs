use crate::table::Group;

/// `resource("team" = "payments", ...)`: extra resource attributes of an OTLP connection.
pub static RESOURCE: Group = Group {
    name: "resource",
    keys: &[],
    rules: &[],
    shorthand: None,
    switch: None,
    is_map: true,
    nested: &[],
};
