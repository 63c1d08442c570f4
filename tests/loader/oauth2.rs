//! `auth.oauth2`, a group nested in `auth`, through the loader: its file table, its env names,
//! `explain` without the secret, and its problems at their paths.

use connfx::ValueSource;
use connfx::prelude::*;

use crate::sandbox::Sandbox;
use crate::{Shop, orders_url};

const SECRET: &str = "s3cret-value";

#[test]
fn oauth2_reads_from_its_file_table_and_env_names() {
    let sandbox = Sandbox::new();
    let file = sandbox.file(
        "shop.toml",
        "[payments.auth.oauth2]\ntoken_url = \"https://auth.example/token\"\nclient_id = \"svc\"\nscopes = [\"read\", \"write\"]\n",
    );
    let sources = Sources::new().file(&file).env_map([
        orders_url(),
        ("SHOP_PAYMENTS_AUTH_OAUTH2_CLIENT_SECRET", SECRET),
        ("SHOP_PAYMENTS_AUTH_OAUTH2_AUDIENCE", "https://api.example"),
    ]);
    let config = Shop::load_config_from(sources.clone()).unwrap();
    let oauth2 = config.payments.auth.oauth2.clone().unwrap();
    assert_eq!(oauth2.client_id.as_deref(), Some("svc"));
    assert_eq!(
        oauth2.scopes.as_deref(),
        Some(&["read".to_owned(), "write".to_owned()][..])
    );
    assert_eq!(
        oauth2.client_secret.as_ref().map(connfx::Secret::expose),
        Some(SECRET)
    );
    assert_eq!(oauth2.audience.as_deref(), Some("https://api.example"));
    assert!(!format!("{config:?}").contains(SECRET));

    let settings = connfx::config::explain::<Shop>(sources).unwrap();
    let secret = settings
        .iter()
        .find(|s| s.path == "payments.auth.oauth2.client_secret")
        .expect("explained");
    assert_eq!(
        secret.source,
        ValueSource::Env("SHOP_PAYMENTS_AUTH_OAUTH2_CLIENT_SECRET".into())
    );
    assert!(!format!("{settings:?}").contains(SECRET));
    let names: Vec<String> = Shop::env_vars().into_iter().map(|v| v.name).collect();
    for key in [
        "TOKEN_URL",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "SCOPES",
        "AUDIENCE",
        "CLIENT_AUTH",
    ] {
        let name = format!("SHOP_PAYMENTS_AUTH_OAUTH2_{key}");
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
}

#[test]
fn oauth2_problems_name_their_key() {
    let sources = Sources::new().env_map([
        orders_url(),
        ("SHOP_PAYMENTS_AUTH_OAUTH2_TOKEN_URL", "ftp://auth.example/token"),
        ("SHOP_PAYMENTS_AUTH_OAUTH2_CLIENT_SECRET", SECRET),
    ]);
    let err = Shop::load_config_from(sources).unwrap_err();
    let text = err.to_string();
    let paths: Vec<&str> = err.issues().iter().map(|i| i.path()).collect();
    assert!(
        paths.contains(&"payments.auth.oauth2.client_id"),
        "{paths:?}\n{text}"
    );
    assert!(
        paths.contains(&"payments.auth.oauth2.token_url"),
        "{paths:?}\n{text}"
    );
    assert!(!text.contains(SECRET), "{text}");
}
