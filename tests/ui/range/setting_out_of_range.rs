use connfx::prelude::*;

// A setting's numeric `default` is typed by rustc: out of the type's range is an error.
#[derive(Connections)]
struct Conns {
    #[connection(url = "http://127.0.0.1:1")]
    api: HttpConnection,
    #[setting(default = 70000)]
    port: u16,
}

fn main() {}
