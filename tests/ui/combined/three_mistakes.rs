//! Three mistakes in two fields: all three are reported in one build, and the code that uses the
//! generated methods adds no error of its own.
use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(url = "https://api.example", retry(max_atempts = 3, jitter = 1.5))]
    api: HttpConnection,
    #[connection(protocol = "http", timeout = 10)]
    audit: Option<HttpConnection>,
}

async fn use_it() -> Result<(), connfx::Error> {
    let conns = Conns::connect().await?;
    let _api: &HttpConnection = conns.api();
    let _audit: Option<&HttpConnection> = conns.audit();
    conns.close().await;
    Ok(())
}

fn main() {
    let _ = use_it();
}
