//! `pool(...)`: its config struct, declared once in `connfx-spec` (see `config::group`).

use std::time::Duration;

use crate::config::group::Problem;

connfx_spec::pool_group!(crate::config::group::config_group);

/// sqlx cannot keep more idle connections than it may open: refused at load (and by a SQL
/// connection's `connect`, for a config built in code), not left to sqlx.
pub(crate) fn min_idle_fits(pool: &PoolConfig) -> Result<(), Problem> {
    match pool.min_idle > pool.max_size {
        true => Err(Problem::at(
            "min_idle",
            format!(
                "`min_idle` ({}) must not be above `max_size` ({})",
                pool.min_idle, pool.max_size
            ),
        )),
        false => Ok(()),
    }
}
