/// The declaration of `timeout(...)` (see [`crate::declare`]); `timeout = "10s"` stands for
/// the total.
#[macro_export]
#[doc(hidden)]
macro_rules! timeout_group {
    ($then:path) => {
        $then! {
            /// `timeout(...)`, or `timeout = "10s"` in the attribute for the total. Unset means
            /// no limit beyond the protocol's own.
            ///
            /// ```
            /// let t = connfx::TimeoutConfig { total: Some(std::time::Duration::from_secs(10)), ..Default::default() };
            /// assert!(t.connect.is_none());
            /// ```
            group TIMEOUT = "timeout" for TimeoutConfig;
            rules [NotAbove(connect, total), NotAbove(per_attempt, total)];
            shorthand [total];
            check [];
            keys {
                /// Time to open a connection.
                #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
                #[schemars(with = "Option<crate::HumanDuration>")]
                connect: Option<Duration> = None => Duration;
                /// Time for one try of a call.
                #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
                #[schemars(with = "Option<crate::HumanDuration>")]
                per_attempt: Option<Duration> = None => Duration;
                /// Time for the whole call, retries included.
                #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
                #[schemars(with = "Option<crate::HumanDuration>")]
                total: Option<Duration> = None => Duration;
            }
        }
    };
}

crate::timeout_group!(crate::spec_group);
