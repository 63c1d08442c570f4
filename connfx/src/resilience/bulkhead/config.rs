//! `bulkhead(...)`: its config struct, declared once in `connfx-spec` (see `config::group`).

use std::time::Duration;

connfx_spec::bulkhead_group!(crate::config::group::config_group);
