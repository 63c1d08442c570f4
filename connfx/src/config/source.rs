//! Where values come from: [`ValueSource`] for one value, [`Sources`] for a whole load.

use std::fmt;
use std::path::{Path, PathBuf};

use connfx_spec::message::Syntax;
use serde::Serialize;

/// Where one value came from.
///
/// ```
/// use connfx::ValueSource;
/// assert_eq!(ValueSource::Env("APP_API_URL".into()).to_string(), "env APP_API_URL");
/// assert_eq!(ValueSource::File("config/prod.toml".into()).to_string(), "file config/prod.toml");
/// assert_eq!(ValueSource::Attribute("Checkout".into()).to_string(), "attribute Checkout");
/// assert_eq!(ValueSource::Default.to_string(), "default");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
// Sources grow (config-rs and figment layers came in 0.2): match with a wildcard arm.
#[non_exhaustive]
pub enum ValueSource {
    /// The config type's own default.
    Default,
    /// The `#[connection(...)]` attribute of the named struct.
    Attribute(String),
    /// A config file.
    File(PathBuf),
    /// An environment variable.
    Env(String),
    /// A value of another library's built configuration ([`Sources::config`],
    /// [`Sources::figment`]), with the origin that library recorded for it: `config-rs
    /// config/app.toml`, `config-rs the environment`, `figment TOML file config/app.toml`.
    Layer {
        /// `config-rs` or `figment`.
        library: String,
        /// Where the library says the value came from.
        origin: String,
    },
}

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueSource::Default => f.write_str("default"),
            ValueSource::Attribute(set) => write!(f, "attribute {set}"),
            ValueSource::File(path) => write!(f, "file {}", path.display()),
            ValueSource::Env(name) => write!(f, "env {name}"),
            ValueSource::Layer { library, origin } => write!(f, "{library} {origin}"),
        }
    }
}

impl ValueSource {
    /// Whether a deployment gave the value (a file or the environment), rather than the code
    /// (the attribute or the type's default).
    pub(crate) fn is_deployment(&self) -> bool {
        matches!(
            self,
            ValueSource::File(_) | ValueSource::Env(_) | ValueSource::Layer { .. }
        )
    }

    /// The order of precedence: a later source replaces an earlier one.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            ValueSource::Default => 0,
            ValueSource::Attribute(_) => 1,
            ValueSource::File(_) | ValueSource::Layer { .. } => 2,
            ValueSource::Env(_) => 3,
        }
    }

    /// The syntax a message about a value from this source speaks.
    pub(crate) fn syntax(&self) -> Syntax {
        match self {
            ValueSource::Default | ValueSource::Attribute(_) => Syntax::Attribute,
            ValueSource::File(path) => Syntax::of_file(path),
            ValueSource::Env(_) => Syntax::Env,
            // A library's origin ends with its file, when it came from one.
            ValueSource::Layer { origin, .. } => {
                let file = Path::new(origin.rsplit(' ').next().unwrap_or(origin));
                Syntax::of_config_file(file).unwrap_or(Syntax::Env)
            }
        }
    }
}

/// The sources of one load, for tests and tools that must not read the process environment:
/// files that must exist, in order, and an explicit environment.
///
/// ```
/// let sources = connfx::Sources::new()
///     .env_map([("APP_API_URL".to_string(), "http://127.0.0.1:8080".to_string())]);
/// assert!(sources.files().is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Files and other libraries' configurations, lowest priority first.
    pub(crate) layers: Vec<Layer>,
    pub(crate) env: Vec<(String, String)>,
}

/// One layer of a load, below the environment.
#[derive(Clone, Debug)]
// Without `config-rs` and `figment` only files are made; the loader still reads every kind.
#[cfg_attr(not(any(feature = "config-rs", feature = "figment")), allow(dead_code))]
pub(crate) enum Layer {
    /// A config file, read at load.
    File(SourceFile),
    /// Values another library loaded: one table per origin it recorded.
    Tables(Vec<(ValueSource, serde_json::Value)>),
    /// Another library's configuration that could not be read: the problem, for the load.
    Unreadable(ValueSource, String),
}

/// A file of a load, and whether its absence is an error.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    pub(crate) path: PathBuf,
    pub(crate) required: bool,
}

impl Sources {
    /// No files, an empty environment.
    pub fn new() -> Self {
        Sources::default()
    }

    /// Adds a file after those already given; it must exist. Format by extension: `.toml`,
    /// `.yaml`/`.yml`, `.json`.
    pub fn file(mut self, path: impl AsRef<Path>) -> Self {
        self.layers.push(Layer::File(SourceFile {
            path: path.as_ref().to_path_buf(),
            required: true,
        }));
        self
    }

    /// Adds a built `config::Config` (the config-rs crate) after the layers already given, so a
    /// service on config-rs keeps its files and sources: each value keeps the origin config-rs
    /// recorded ([`ValueSource::Layer`]). Text where a number or a switch is expected
    /// (config-rs's environment gives text) is read as the environment's text is.
    ///
    /// ```
    /// let built = config::Config::builder().set_override("api.url", "http://127.0.0.1:8080").unwrap().build().unwrap();
    /// let sources = connfx::Sources::new().config(&built); // or `.config(built)`
    /// ```
    #[cfg(feature = "config-rs")]
    pub fn config(mut self, config: impl std::borrow::Borrow<config::Config>) -> Self {
        self.layers.push(super::foreign::config_rs(config.borrow()));
        self
    }

    /// Adds a `figment::Figment` after the layers already given, its selected profile merged
    /// as figment merges it: each value keeps the origin figment recorded (the provider's name
    /// and its file, or the variable it read). A figment that fails to evaluate is a problem of
    /// the load.
    ///
    /// ```
    /// use figment::providers::Serialized;
    /// let figment = figment::Figment::from(Serialized::defaults(serde_json::json!({ "api": { "url": "http://127.0.0.1:8080" } })));
    /// let sources = connfx::Sources::new().figment(&figment);
    /// ```
    #[cfg(feature = "figment")]
    pub fn figment(mut self, figment: impl std::borrow::Borrow<figment::Figment>) -> Self {
        self.layers.push(super::foreign::figment(figment.borrow()));
        self
    }

    /// Adds environment variables (later pairs win over earlier ones with the same name).
    pub fn env_map<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The files given, in order.
    pub fn files(&self) -> Vec<&Path> {
        self.source_files().map(|f| f.path.as_path()).collect()
    }

    /// The file layers, in order.
    pub(crate) fn source_files(&self) -> impl Iterator<Item = &SourceFile> {
        self.layers.iter().filter_map(|layer| match layer {
            Layer::File(file) => Some(file),
            Layer::Tables(_) | Layer::Unreadable(..) => None,
        })
    }

    /// Adds the file named by `<PREFIX>_CONFIG_FILE`, after every other layer.
    pub(crate) fn push_required_file(&mut self, path: PathBuf) {
        self.layers.push(Layer::File(SourceFile { path, required: true }));
    }

    /// The attribute's files (missing ones skipped) and the process environment.
    pub(crate) fn process(attribute_files: &[&str]) -> Self {
        let files = attribute_files.iter().map(|p| SourceFile {
            path: PathBuf::from(p),
            required: false,
        });
        // Variables that are not UTF-8 cannot name a connfx setting; skipping them is safe.
        let env =
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        Sources {
            layers: files.map(Layer::File).collect(),
            env: env.collect(),
        }
    }
}
