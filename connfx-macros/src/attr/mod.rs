//! Attribute parsers: one per attribute, sharing the literal and group grammar of [`value`].

pub mod container;
pub mod field;
pub mod setting;
pub mod value;
