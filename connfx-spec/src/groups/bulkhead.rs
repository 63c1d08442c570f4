/// The declaration of `bulkhead(...)` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! bulkhead_group {
    ($then:path) => {
        $then! {
            /// `bulkhead(...)`: at most `max_concurrent` calls in flight; others wait up to
            /// `max_wait` for a free slot (zero: rejected at once).
            ///
            /// ```
            /// let b = connfx::BulkheadConfig { max_concurrent: 8, ..Default::default() };
            /// assert_eq!(b.max_wait, std::time::Duration::ZERO);
            /// ```
            group BULKHEAD = "bulkhead" for BulkheadConfig;
            rules [];
            shorthand [];
            switch [enabled];
            check [];
            keys {
                /// Calls in flight at most.
                max_concurrent: u32 = 64 => Integer[1, 1_000_000];
                /// How long a call waits for a free slot before it is rejected.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                max_wait: Duration = Duration::ZERO => Duration;
            }
        }
    };
}

crate::bulkhead_group!(crate::spec_group);
