use crate::table::Group;

/// `headers("Name" = "value", ...)`.
pub static HEADERS: Group = Group {
    name: "headers",
    keys: &[],
    rules: &[],
    shorthand: None,
    switch: None,
    is_map: true,
    nested: &[],
};
