use connfx::prelude::*;

// A field is a setting or a connection; rules go on settings; a setting takes `default` and
// `secret` only; and a struct needs a connection beside its settings.
#[derive(Connections)]
struct Conns {
    #[connection(url = "http://127.0.0.1:1")]
    #[validate(length(min = 1))]
    api: HttpConnection,
    #[setting(secret, hidden = true)]
    #[connection(url = "http://127.0.0.1:1")]
    port: u16,
    #[setting]
    health: u16,
}

#[derive(Connections)]
struct OnlySettings {
    #[setting(default = 1)]
    port: u16,
}

fn main() {}
