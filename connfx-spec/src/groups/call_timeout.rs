/// The declaration of `timeout(...)` on the connections that make calls — HTTP, GraphQL, SQL and
/// Redis (see [`crate::declare`]): the keys of `timeout(...)`, with a total that is always set.
#[macro_export]
#[doc(hidden)]
macro_rules! call_timeout_group {
    ($then:path) => {
        $then! {
            /// `timeout(...)` of a connection that makes calls (HTTP, GraphQL, SQL, Redis), or
            /// `timeout = "10s"` in the attribute for the total. The total is always set, 30 s
            /// unless a source says otherwise, so no call waits forever for a silent peer (see
            /// the crate docs, "Decisions"); the streams and OTLP keep their own
            /// [`TimeoutConfig`](crate::TimeoutConfig), whose total is optional.
            ///
            /// ```
            /// let t = connfx::CallTimeoutConfig::default();
            /// assert_eq!(t.total, std::time::Duration::from_secs(30));
            /// assert!(t.connect.is_none() && t.per_attempt.is_none());
            /// ```
            group CALL_TIMEOUT = "timeout" for CallTimeoutConfig;
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
                /// Time for the whole call, retries and the waits between them included; a
                /// caller's shorter `.timeout()` wins.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                total: Duration = Duration::from_secs(30) => Duration;
            }
        }
    };
}

crate::call_timeout_group!(crate::spec_group);
