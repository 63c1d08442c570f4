//! A service already on config-rs or figment adopts connfx without moving its files: the
//! library's built configuration is a layer of the load, each value keeps the origin the library
//! recorded (in `explain` and in errors), and connfx's own load is a figment provider.

use std::io::Write;

use connfx::prelude::*;
use connfx::{Sources, ValueSource};

/// The shop service: one connection and one plain setting.
#[derive(Connections)]
#[connections(env_prefix = "SHOP")]
pub struct Shop {
    #[connection(url = "http://127.0.0.1:9/v1", timeout = "5s")]
    payments: HttpConnection,
    /// The port to serve on.
    #[setting(default = 8080)]
    port: u16,
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

const APP_TOML: &str = r#"
port = 9000
[payments]
url = "http://127.0.0.1:9/pay"
[payments.retry]
max_attempts = 4
"#;

fn layer(library: &str, origin: &str) -> ValueSource {
    ValueSource::Layer {
        library: library.into(),
        origin: origin.into(),
    }
}

/// The service's config-rs setup as it was: its file, and its environment with `__` between
/// keys (an explicit map here, so the test does not touch the process environment).
fn config_rs(path: &std::path::Path, env: &[(&str, &str)]) -> config::Config {
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    config::Config::builder()
        .add_source(config::File::from(path))
        .add_source(
            config::Environment::with_prefix("LEGACY")
                .separator("__")
                .source(Some(env)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_config_rs_configuration_is_a_layer_and_keeps_its_origins() {
    let app = file(APP_TOML);
    let built = config_rs(app.path(), &[("LEGACY__PAYMENTS__RETRY__MAX_ATTEMPTS", "6")]);
    let sources = Sources::new().config(&built).env_map([("SHOP_PORT", "9100")]);

    let settings = connfx::config::explain::<Shop>(sources.clone()).unwrap();
    let setting = |path: &str| {
        settings
            .iter()
            .find(|s| s.path == path)
            .unwrap_or_else(|| panic!("{path}"))
    };
    // The origin as config-rs recorded it (the file's path, relative to the working folder).
    let name = app.path().file_name().unwrap().to_str().unwrap();
    let ValueSource::Layer { library, origin } = &setting("payments.url").source else {
        panic!("{:?}", setting("payments.url").source);
    };
    assert_eq!(library, "config-rs");
    assert!(origin.ends_with(name), "{origin}");
    assert!(
        setting("payments.url")
            .source
            .to_string()
            .starts_with("config-rs ")
    );
    assert_eq!(setting("port").source, ValueSource::Env("SHOP_PORT".into()));
    let from_file = setting("payments.url").source.clone();
    // config-rs's environment gives text; it is read as connfx reads a variable.
    assert_eq!(setting("payments.retry.max_attempts").value, "6");
    assert_eq!(
        setting("payments.retry.max_attempts").source,
        layer("config-rs", "the environment")
    );
    // connfx's own environment still comes last; the attribute's values stay below.
    assert_eq!(setting("port").value, "9100");
    assert_ne!(setting("payments.retry.max_attempts").source, from_file);
    assert_eq!(
        setting("payments.timeout.total").source,
        ValueSource::Attribute("Shop".into())
    );

    let shop = Shop::load_config_from(sources).unwrap().connect().await.unwrap();
    assert_eq!(shop.port(), &9100);
    assert_eq!(shop.payments().config().url.to_string(), "http://127.0.0.1:9/pay");
    shop.close().await;
}

#[test]
fn a_bad_value_from_config_rs_is_named_with_its_origin_and_layers_keep_their_order() {
    let app = file(APP_TOML);
    let built = config_rs(app.path(), &[("LEGACY__PAYMENTS__RETRY__MAX_ATTEMPTS", "0")]);
    let error = Shop::load_config_from(Sources::new().config(&built)).unwrap_err();
    let issue = &error.issues()[0];
    assert_eq!(issue.path(), "payments.retry.max_attempts", "{error}");
    assert_eq!(issue.source(), &layer("config-rs", "the environment"));
    assert!(issue.message().contains("between 1 and"), "{error}");

    // A file given after the config-rs layer wins over it, key by key.
    let later = file("port = 9200\n");
    let built = config_rs(app.path(), &[]);
    let sources = Sources::new().config(&built).file(later.path());
    let config = Shop::load_config_from(sources).unwrap();
    assert_eq!(config.port, 9200);
    let sources = Sources::new().file(later.path()).config(built); // owned, as the issue writes it
    assert_eq!(Shop::load_config_from(sources).unwrap().port, 9000);
}

#[test]
fn a_figment_is_a_layer_and_keeps_its_origins() {
    use figment::providers::{Format, Serialized, Toml};
    let app = file(APP_TOML);
    let figment = figment::Figment::from(Toml::file(app.path()))
        .merge(Serialized::default("payments.retry.max_attempts", 7));
    let settings = connfx::config::explain::<Shop>(Sources::new().figment(&figment)).unwrap();
    let setting = |path: &str| {
        settings
            .iter()
            .find(|s| s.path == path)
            .unwrap_or_else(|| panic!("{path}"))
    };
    assert_eq!(setting("port").value, "9000");
    let ValueSource::Layer { library, origin } = &setting("port").source else {
        panic!("{:?}", setting("port").source);
    };
    assert_eq!(library, "figment");
    assert!(
        origin.starts_with("TOML file") && origin.ends_with(".toml"),
        "{origin}"
    );
    assert_eq!(setting("payments.retry.max_attempts").value, "7");
    assert_ne!(
        setting("payments.retry.max_attempts").source,
        setting("port").source
    );

    // A figment that cannot be evaluated is a problem of the load, not a panic.
    let broken = figment::Figment::from(Toml::string("port = [1,"));
    let error = Shop::load_config_from(Sources::new().figment(&broken)).unwrap_err();
    assert!(
        matches!(error.issues()[0].source(), ValueSource::Layer { .. }),
        "{error}"
    );
}

#[test]
fn connfx_is_a_figment_provider() {
    let app = file(APP_TOML);
    let provider = connfx::config::FigmentProvider::<Shop>::new(Sources::new().file(app.path()));
    let figment = figment::Figment::from(provider);
    assert_eq!(figment.extract_inner::<u16>("port").unwrap(), 9000);
    let url: String = figment.extract_inner("payments.url").unwrap();
    assert_eq!(url, "http://127.0.0.1:9/pay");

    let broken = connfx::config::FigmentProvider::<Shop>::new(Sources::new().env_map([("SHOP_PORT", "x")]));
    let error = figment::Figment::from(broken)
        .extract_inner::<u16>("port")
        .unwrap_err();
    assert!(error.to_string().contains("SHOP_PORT"), "{error}");
}
