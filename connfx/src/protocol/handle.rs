//! What the built-in connection handles answer the same way: their `Debug` opening and the
//! [`Connection`](crate::Connection) methods read from their config's `health` group, their
//! registry slot, their health check and their telemetry.

/// Writes the [`Connection`](crate::Connection) methods that the built-in handles answer the
/// same way. Always `health_timeout` and `critical` from `self.config().health`, and
/// `registry_slot` from `self.slot`; then, for each part named:
/// - `health = f`: `health` as `f(self).await`;
/// - `telemetry = a.b`: `telemetry` as `Some(&self.a.b)`;
/// - `reload`: `reload_applies` by the one rule of [`crate::reload::live_unless_transport`],
///   and `prepare_reload` as `self.prepare(config).await`;
/// - `fleet`: `fleet_rate_limit` and `fleet_budget` from `self.rate_limit()` and
///   `self.retry()`, when they are kept across the fleet.
///
/// Use it inside the `impl Connection` block. A macro rather than a helper type or function:
/// Rust cannot delegate trait methods, so with a shared helper each impl would still have to
/// spell out the same methods to call it.
macro_rules! handle_methods {
    () => {
        fn health_timeout(&self) -> ::std::time::Duration {
            self.config().health.timeout
        }

        fn critical(&self) -> bool {
            self.config().health.critical
        }

        fn registry_slot(&self) -> ::core::option::Option<&crate::registry::RegistrySlot> {
            ::core::option::Option::Some(&self.slot)
        }
    };
    (health = $check:path $(, $($rest:tt)*)?) => {
        async fn health(&self) -> crate::Health {
            $check(self).await
        }

        crate::protocol::handle::handle_methods!($($($rest)*)?);
    };
    (telemetry = $($field:ident).+ $(, $($rest:tt)*)?) => {
        fn telemetry(&self) -> ::core::option::Option<&crate::telemetry::Telemetry> {
            ::core::option::Option::Some(&self.$($field).+)
        }

        crate::protocol::handle::handle_methods!($($($rest)*)?);
    };
    (fleet $(, $($rest:tt)*)?) => {
        fn fleet_rate_limit(&self) -> ::core::option::Option<crate::RateLimit> {
            self.rate_limit().filter(crate::RateLimit::is_fleet)
        }

        fn fleet_budget(&self) -> ::core::option::Option<::std::sync::Arc<crate::RetryBudget>> {
            self.retry()?.budget().filter(|budget| budget.is_fleet()).cloned()
        }

        crate::protocol::handle::handle_methods!($($($rest)*)?);
    };
    (reload $(, $($rest:tt)*)?) => {
        fn reload_applies(path: &str) -> ::core::option::Option<crate::Applied> {
            crate::reload::live_unless_transport(path)
        }

        async fn prepare_reload(
            &self,
            config: Self::Config,
        ) -> ::core::result::Result<crate::reload::Prepared, crate::ConnectError> {
            self.prepare(config).await
        }

        crate::protocol::handle::handle_methods!($($($rest)*)?);
    };
}
pub(crate) use handle_methods;

/// Starts the `Debug` of a built-in handle: its type name, then its name and URL (whose `Debug`
/// hides the password). The caller adds its own fields and finishes.
#[cfg(any(
    feature = "http",
    feature = "otlp",
    feature = "redis",
    feature = "sse",
    feature = "websocket"
))]
pub(crate) fn debug_handle<'a, 'b: 'a>(
    f: &'a mut std::fmt::Formatter<'b>,
    type_name: &str,
    name: &str,
    url: &crate::ConnUrl,
) -> std::fmt::DebugStruct<'a, 'b> {
    let mut out = f.debug_struct(type_name);
    out.field("name", &name).field("url", url);
    out
}

/// The whole `Debug` of a built-in handle that shows only its name and URL.
#[cfg(any(feature = "http", feature = "redis", feature = "sse"))]
pub(crate) fn fmt_handle(
    f: &mut std::fmt::Formatter<'_>,
    type_name: &str,
    name: &str,
    url: &crate::ConnUrl,
) -> std::fmt::Result {
    debug_handle(f, type_name, name, url).finish_non_exhaustive()
}

/// Warns, at connect, that `health.path` is set on a connection whose health check does not
/// use it (`protocol` as the message names it: `SSE`, `WebSocket`).
#[cfg(any(feature = "sse", feature = "websocket"))]
pub(crate) fn warn_unused_health_path(name: &str, path: Option<&str>, protocol: &str) {
    if path.is_some() {
        tracing::warn!(
            connection = name,
            key = "health.path",
            "setting has no effect on {protocol} connections"
        );
    }
}

/// Refuses a URL whose scheme is not one of `C::URL_SCHEMES`, in the loader's words.
///
/// # Errors
/// The scheme-mismatch message, naming the scheme and the ones expected.
#[cfg(any(feature = "http", feature = "websocket"))]
pub(crate) fn check_scheme<C: crate::Connection>(url: &url::Url) -> Result<(), String> {
    if C::URL_SCHEMES.contains(&url.scheme()) {
        return Ok(());
    }
    Err(connfx_spec::message::scheme_mismatch(
        C::PROTOCOL,
        url.scheme(),
        C::URL_SCHEMES,
    ))
}
