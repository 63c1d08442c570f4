/// The declaration of `health(...)` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! health_group {
    ($then:path) => {
        $then! {
            /// `health(...)`: how the connection is checked.
            ///
            /// ```
            /// let h = connfx::HealthCheckConfig::default();
            /// assert_eq!(h.timeout, std::time::Duration::from_secs(5));
            /// assert!(h.critical);
            /// ```
            group HEALTH = "health" for HealthCheckConfig;
            rules [];
            shorthand [];
            check [];
            keys {
                /// Path checked instead of the base URL (HTTP).
                #[serde(skip_serializing_if = "Option::is_none")]
                path: Option<String> = None => Str;
                /// Longest a check may take before it is reported as an error.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                timeout: Duration = Duration::from_secs(5) => Duration;
                /// Whether the service needs this connection to serve: a critical connection
                /// that is neither `ready` nor `live` makes the service not ready
                /// (`/health/ready` answers 503); a non-critical one is reported but never
                /// blocks.
                critical: bool = true => Bool;
            }
        }
    };
}

crate::health_group!(crate::spec_group);
