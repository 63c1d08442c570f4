use connfx::prelude::*;

// A setting's `default` is checked against its type: text for a number or a number for text
// are errors, all in one build.
#[derive(Connections)]
struct Conns {
    #[connection(url = "http://127.0.0.1:1")]
    api: HttpConnection,
    #[setting(default = "eighty")]
    port: u16,
    #[setting(default = 3)]
    name: String,
    #[setting(default = true)]
    ratio: Option<f64>,
}

fn main() {}
