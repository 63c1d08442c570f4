//! Structure-aware inputs of the fuzz targets in `fuzz_targets/`.

pub mod derive_input;
pub mod loader_input;
