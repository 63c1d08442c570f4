//! `auth(...)`: its config struct, declared once in `connfx-spec` (see `config::group`).

use crate::Secret;

connfx_spec::auth_group!(crate::config::group::config_group);
