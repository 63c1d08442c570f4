//! What every policy shows alike: `try_new` (the one check, the one error) and its events. Written
//! once as a macro so the four policies cannot drift in wording or behaviour.

/// Adds `try_new`, `on_event` and `subscribe` to a policy whose `new` takes `$config` and whose
/// shared state (reached by `$shared` from `self`) has an `events` emitter of `$event`.
macro_rules! policy_face {
    ($policy:ident, $config:ident, $event:ident, $shared:ident) => {
        impl $policy {
            #[doc = concat!("[`new`](", stringify!($policy), "::new), after checking every key of `config`.")]
            ///
            /// ```
            #[doc = concat!("let policy = connfx::resilience::", stringify!($policy), "::try_new(Default::default());")]
            /// assert!(policy.is_ok(), "the defaults are valid");
            /// ```
            ///
            /// # Errors
            /// An [`InvalidConfig`](crate::resilience::InvalidConfig) with every problem of the
            /// config, worded as the loader words them.
            pub fn try_new(config: $config) -> Result<Self, $crate::resilience::InvalidConfig> {
                $crate::resilience::InvalidConfig::check(&config)?;
                Ok($policy::new(config))
            }

            /// Calls `callback` on every event, synchronously.
            ///
            /// ```
            #[doc = concat!("let policy = connfx::resilience::", stringify!($policy), "::new(Default::default());")]
            /// policy.on_event(|event| tracing::info!(?event, "policy event"));
            /// ```
            pub fn on_event(&self, callback: impl Fn(&$event) + Send + Sync + 'static) {
                self.$shared.events.add(callback);
            }

            /// A receiver of every event from now on.
            ///
            /// ```
            #[doc = concat!("let policy = connfx::resilience::", stringify!($policy), "::new(Default::default());")]
            /// let events = policy.subscribe();
            /// assert!(events.is_empty());
            /// ```
            pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<$event> {
                self.$shared.events.subscribe()
            }
        }
    };
}

pub(crate) use policy_face;
