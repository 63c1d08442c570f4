//! `tls(...)`: its config struct, declared once in `connfx-spec` (see `config::group`).

connfx_spec::tls_group!(crate::config::group::config_group);
