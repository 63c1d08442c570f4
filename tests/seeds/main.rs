//! The seed documents' configuration examples (`../shared/seeds/`, one library each), loaded as
//! written: each module holds one seed's env blocks verbatim and its file examples transcribed
//! key for key, asserts the settings they give, and checks that the migration guide in `docs/`
//! shows the same examples.

mod ajan_connfx;
mod codeai_integration;
mod helixagent_http;
mod reynard_connection;
mod support;
mod tdtp_resilience;
