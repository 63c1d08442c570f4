use connfx::prelude::*;

// `backoff`, `mode` and `retry_on` are checked word by word, all in one build.
#[derive(Connections)]
struct Conns {
    #[connection(
        url = "http://127.0.0.1:1",
        retry(backoff = "fibonacci", retry_on = "503,teapot"),
        rate_limit(requests = 10, per = "1s", mode = "wiat")
    )]
    api: HttpConnection,
}

fn main() {}
