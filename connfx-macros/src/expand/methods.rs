//! The inherent methods: loading, connecting, typed accessors, registry, health, close, schema and
//! env listing on the struct, and `connect` on its config.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::{allow_lints, where_connections};
use crate::ast::{Container, Field, Presence, Setting, split_option};

/// `impl Conns { ... }`. The method names are `symbol::GENERATED_METHODS`.
pub fn set_impl(cont: &Container) -> TokenStream {
    let (ident, config) = (cont.ident, cont.config_ident());
    let accessors = cont
        .fields
        .iter()
        .map(accessor)
        .chain(cont.settings.iter().map(setting_accessor));
    let setting_idents: Vec<&Ident> = cont.settings.iter().map(|setting| setting.ident).collect();
    let inserts = cont.fields.iter().map(registry_insert);
    let slots = cont
        .fields
        .iter()
        .map(|field| registry_slot(&quote!(self), field));
    let copy = Ident::new("copy", Span::mixed_site());
    let copy_slots = cont
        .fields
        .iter()
        .map(|field| registry_slot(&quote!(#copy), field));
    let registry = Ident::new("registry", Span::mixed_site());
    let idents: Vec<&Ident> = cont.fields.iter().map(|field| field.ident).collect();
    let reloads = cont
        .fields
        .iter()
        .enumerate()
        .map(|(index, field)| reload_field(index, field));
    let bounds = where_connections(cont);
    let allow = allow_lints();
    quote! {
        #allow
        #[automatically_derived]
        impl #ident #bounds {
            /// Reads the configuration: attribute defaults, then the config files, then the
            /// environment; validates it. No network I/O.
            ///
            /// # Errors
            /// Every problem found, each with its key and the source of the bad value.
            pub fn load_config() -> ::core::result::Result<#config, ::connfx::ConfigError> {
                ::connfx::__private::load_config::<Self>()
            }

            /// Reads the configuration from `sources` only (plus the attribute defaults), never the
            /// process environment; validates it. No network I/O.
            ///
            /// # Errors
            /// Every problem found, each with its key and the source of the bad value.
            pub fn load_config_from(
                sources: ::connfx::Sources,
            ) -> ::core::result::Result<#config, ::connfx::ConfigError> {
                ::connfx::__private::load_config_from::<Self>(sources)
            }

            /// Loads the configuration (see `load_config`) and connects every connection.
            ///
            /// # Errors
            /// The configuration's problems, or every connection that could not be built.
            pub async fn connect() -> ::core::result::Result<Self, ::connfx::Error> {
                ::core::result::Result::Ok(Self::load_config()?.connect().await?)
            }

            #(#accessors)*

            /// The same live connections, looked up by name: the one registry this struct
            /// owns, the same on every call. Monitors started from it end on `close()`.
            pub fn registry(&self) -> ::connfx::Registry {
                ::connfx::__private::struct_registry(&[#(#slots),*], || {
                    // Made once, at the first call (in `connect`), and kept in the slots.
                    let registry = ::connfx::Registry::new();
                    #(#inserts)*
                    registry
                })
            }

            /// Applies the configuration `sources` give to the live connections, all or
            /// nothing: loaded and checked as at boot, compared key by key with what runs now,
            /// and then each changed connection changes in place (policies keep their state)
            /// or builds a new client beside its old one, which finishes the calls already
            /// started. The report lists every changed key and how it was applied.
            ///
            /// # Errors
            /// Every problem of the new configuration, every change that needs a restart, and
            /// every connection that could not take its new settings; then nothing changed.
            pub async fn reload(
                &self,
                sources: ::connfx::Sources,
            ) -> ::core::result::Result<::connfx::ReloadReport, ::connfx::ConfigError> {
                let (config, mut reload) =
                    ::connfx::__private::SetReload::start::<Self>(self.registry(), sources).await?;
                #(#reloads)*
                reload.finish()
            }

            /// Reloads (see `reload`) whenever a config file changes, after `watch`'s debounce,
            /// and on SIGHUP; each reload's outcome is an event of the returned watcher and a
            /// log line. Watching ends when the watcher is dropped or the struct is closed.
            ///
            /// # Errors
            /// Outside a tokio runtime, or when the files or the signal cannot be watched.
            pub fn watch(
                &self,
                watch: ::connfx::reload::Watch,
            ) -> ::core::result::Result<::connfx::reload::Watcher, ::connfx::reload::WatchError> {
                let #registry = self.registry();
                // The watcher's own handles, given this struct's registry so they reload it.
                let #copy = Self {
                    #(#idents: ::core::clone::Clone::clone(&self.#idents),)*
                    #(#setting_idents: ::core::clone::Clone::clone(&self.#setting_idents),)*
                };
                ::connfx::__private::struct_registry(&[#(#copy_slots),*], || {
                    ::core::clone::Clone::clone(&#registry)
                });
                let #copy = ::std::sync::Arc::new(#copy);
                ::connfx::reload::Watcher::start(
                    <Self as ::connfx::__private::ConnectionSet>::descriptor(),
                    &#registry,
                    watch,
                    move |sources| {
                        let #copy = ::core::clone::Clone::clone(&#copy);
                        async move { #copy.reload(sources).await }
                    },
                )
            }

            /// Checks every connection concurrently, each bounded by its own health timeout.
            pub async fn health(&self) -> ::connfx::HealthReport {
                self.registry().health().await
            }

            /// Closes every connection gracefully, in parallel, bounded in time.
            pub async fn close(&self) {
                self.registry().close().await
            }

            /// The JSON Schema (draft 2020-12) of the configuration, for checking deployment files.
            pub fn json_schema() -> ::connfx::__private::serde_json::Value {
                ::connfx::__private::json_schema::<Self>()
            }

            /// Every environment variable the loader reads, with its type, default and description.
            pub fn env_vars() -> ::std::vec::Vec<::connfx::EnvVar> {
                ::connfx::__private::env_vars::<Self>()
            }
        }
    }
}

/// `conns.payments() -> &HttpConnection`, `conns.audit() -> Option<&HttpConnection>`.
fn accessor(field: &Field) -> TokenStream {
    let (ident, ty) = (field.ident, field.ty);
    match field.presence {
        Presence::Required => {
            let doc = format!("The `{}` connection.", field.name);
            quote! {
                #[doc = #doc]
                pub fn #ident(&self) -> &#ty {
                    &self.#ident
                }
            }
        }
        Presence::Optional => {
            let doc = format!(
                "The `{}` connection, or `None` when no source configures it.",
                field.name
            );
            quote! {
                #[doc = #doc]
                pub fn #ident(&self) -> ::core::option::Option<&#ty> {
                    ::core::option::Option::as_ref(&self.#ident)
                }
            }
        }
    }
}

/// `conns.port() -> &u16`, `conns.level() -> Option<&String>`.
fn setting_accessor(setting: &Setting) -> TokenStream {
    let ident = setting.ident;
    match split_option(setting.ty) {
        (Presence::Required, ty) => {
            let doc = format!("The `{}` setting.", setting.name);
            quote! {
                #[doc = #doc]
                pub fn #ident(&self) -> &#ty {
                    &self.#ident
                }
            }
        }
        (Presence::Optional, ty) => {
            let doc = format!(
                "The `{}` setting, or `None` when no source gives it.",
                setting.name
            );
            quote! {
                #[doc = #doc]
                pub fn #ident(&self) -> ::core::option::Option<&#ty> {
                    ::core::option::Option::as_ref(&self.#ident)
                }
            }
        }
    }
}

/// `reload.field::<T>(0, Some(&self.api), Some(config.api)).await;`
fn reload_field(index: usize, field: &Field) -> TokenStream {
    let (ident, ty) = (field.ident, field.ty);
    let (running, config) = match field.presence {
        Presence::Required => (
            quote!(::core::option::Option::Some(&self.#ident)),
            quote!(::core::option::Option::Some(config.#ident)),
        ),
        Presence::Optional => (
            quote!(::core::option::Option::as_ref(&self.#ident)),
            quote!(config.#ident),
        ),
    };
    quote!(reload.field::<#ty>(#index, #running, #config).await;)
}

fn registry_insert(field: &Field) -> TokenStream {
    let (ident, name) = (field.ident, &field.name);
    match field.presence {
        Presence::Required => quote! {
            registry.insert(#name, ::core::clone::Clone::clone(&self.#ident));
        },
        Presence::Optional => quote! {
            if let ::core::option::Option::Some(connection) = &self.#ident {
                registry.insert(#name, ::core::clone::Clone::clone(connection));
            }
        },
    }
}

/// `connfx::__private::slot::<T>(Some(&self.api))`: the field's registry slot, if any.
fn registry_slot(receiver: &TokenStream, field: &Field) -> TokenStream {
    let (ident, ty) = (field.ident, field.ty);
    let connection = match field.presence {
        Presence::Required => quote!(::core::option::Option::Some(&#receiver.#ident)),
        Presence::Optional => quote!(::core::option::Option::as_ref(&#receiver.#ident)),
    };
    quote!(::connfx::__private::slot::<#ty>(#connection))
}

/// `impl ConnsConfig { async fn connect(self) }`: every connection built concurrently, every
/// failure collected.
pub fn config_impl(cont: &Container) -> TokenStream {
    let (ident, config) = (cont.ident, cont.config_ident());
    // Mixed-site hygiene: a field called `errors` cannot shadow the collector.
    let errors = Ident::new("errors", Span::mixed_site());
    let connected = Ident::new("connected", Span::mixed_site());
    let loaded = Ident::new("loaded", Span::mixed_site());
    let registry = Ident::new("registry", Span::mixed_site());
    let idents: Vec<&Ident> = cont.fields.iter().map(|field| field.ident).collect();
    let setting_idents: Vec<&Ident> = cont.settings.iter().map(|setting| setting.ident).collect();
    let results = connect_all(&cont.fields);
    let bindings = tuple(idents.iter().map(|ident| quote!(#ident)));
    let somes = tuple(
        idents
            .iter()
            .map(|ident| quote!(::core::option::Option::Some(#ident))),
    );
    let bounds = where_connections(cont);
    let allow = allow_lints();
    quote! {
        #allow
        #[automatically_derived]
        impl #config #bounds {
            /// Builds every connection concurrently.
            ///
            /// # Errors
            /// Every connection that could not be built, each with its cause.
            pub async fn connect(self) -> ::core::result::Result<#ident, ::connfx::ConnectError> {
                // What the struct's first reload compares with.
                let #loaded = ::connfx::__private::serde_json::to_value(&self).ok();
                let #bindings = #results;
                let mut #errors = <::connfx::__private::ConnectErrors as ::core::default::Default>::default();
                #(let #idents = #errors.check(#idents);)*
                match #bindings {
                    #somes => {
                        let #connected = #ident {
                            #(#idents,)*
                            #(#setting_idents: self.#setting_idents,)*
                        };
                        // The one registry the struct owns for its life, built here from its
                        // fields and kept in their slots; telemetry and fleet stores bound once,
                        // explicitly.
                        let #registry = #ident::registry(&#connected);
                        ::connfx::__private::connected(&#registry, #loaded)?;
                        ::core::result::Result::Ok(#connected)
                    }
                    _ => ::core::result::Result::Err(#errors.into_error()),
                }
            }
        }
    }
}

/// The connect futures awaited together (`join!`), or the one future awaited alone.
fn connect_all(fields: &[Field]) -> TokenStream {
    let calls: Vec<TokenStream> = fields.iter().map(connect_call).collect();
    match calls.as_slice() {
        [one] => quote!(#one.await),
        calls => quote!(::connfx::__private::futures_util::join!(#(#calls),*)),
    }
}

/// `connect_required::<T>("name", self.name)`, spanned on the type.
fn connect_call(field: &Field) -> TokenStream {
    let (ident, ty, name) = (field.ident, field.ty, &field.name);
    let function = match field.presence {
        Presence::Required => format_ident!("connect_required"),
        Presence::Optional => format_ident!("connect_optional"),
    };
    quote_spanned!(ty.span()=> ::connfx::__private::#function::<#ty>(#name, self.#ident))
}

/// `(a, b)` for several items, `a` for one: no 1-tuples.
fn tuple(items: impl Iterator<Item = TokenStream>) -> TokenStream {
    let items: Vec<TokenStream> = items.collect();
    match items.as_slice() {
        [one] => one.clone(),
        items => quote!((#(#items),*)),
    }
}
