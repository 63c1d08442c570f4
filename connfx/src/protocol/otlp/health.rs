//! The health check: is the collector there and answering? For `http`, an empty export request
//! (`POST /v1/traces`, an empty protobuf body, the configured headers); for `grpc`, a fresh
//! HTTP/2 connection and an empty trace export on it. Messages never hold a header value.

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use tonic::Code;

use super::transport::Probe;
use crate::{Health, HealthState};

/// Checks the collector once within `limit`.
pub(super) async fn check(probe: &Probe, limit: Duration) -> Health {
    let started = Instant::now();
    let checked = tokio::time::timeout(limit, probe_once(probe, limit)).await;
    let latency = started.elapsed();
    match checked {
        Ok(Ok((state, message))) => Health::new(state, latency, message),
        Ok(Err(message)) => Health::error(latency, message),
        Err(_) => Health::error(
            latency,
            format!("timed out after {}", humantime::format_duration(limit)),
        ),
    }
}

async fn probe_once(probe: &Probe, limit: Duration) -> Result<(HealthState, String), String> {
    match probe {
        Probe::Http { client, url } => http(client.clone(), url.clone(), limit).await,
        Probe::Grpc { endpoint, metadata } => grpc(endpoint, metadata).await,
    }
}

/// The blocking client runs on a blocking thread, as the exporters' do.
async fn http(
    client: reqwest::blocking::Client,
    url: url::Url,
    limit: Duration,
) -> Result<(HealthState, String), String> {
    let path = url.path().to_owned();
    let post = move || {
        client
            .post(url)
            .header(http::header::CONTENT_TYPE, "application/x-protobuf")
            .body(Vec::new())
            .timeout(limit)
            .send()
            .map(|response| response.status())
    };
    let status = tokio::task::spawn_blocking(post)
        .await
        .map_err(|_| "the health check thread panicked".to_owned())?
        .map_err(|e| format!("POST {path}: {}", chain(&e.without_url())))?;
    Ok((http_state(status.as_u16()), format!("POST {path} {status}")))
}

/// As the HTTP connection's: 2xx ready, 429 live, 503 and other 4xx connected, other 5xx error.
fn http_state(status: u16) -> HealthState {
    match status {
        200..=299 => HealthState::Ready,
        429 => HealthState::Live,
        503 => HealthState::Connected,
        500..=599 => HealthState::Error,
        _ => HealthState::Connected,
    }
}

async fn grpc(
    endpoint: &tonic::transport::Endpoint,
    metadata: &tonic::metadata::MetadataMap,
) -> Result<(HealthState, String), String> {
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("cannot connect: {}", chain(&e)))?;
    let mut request = tonic::Request::new(ExportTraceServiceRequest::default());
    *request.metadata_mut() = metadata.clone();
    match TraceServiceClient::new(channel).export(request).await {
        Ok(_) => Ok((HealthState::Ready, "gRPC export OK".to_owned())),
        // The status message is the server's text: left out, it could echo what was sent.
        Err(status) => Ok((
            grpc_state(status.code()),
            format!("gRPC export answered {:?}", status.code()),
        )),
    }
}

/// OK ready; pushing back live; server faults error; any other answer connected.
fn grpc_state(code: Code) -> HealthState {
    match code {
        Code::Ok => HealthState::Ready,
        Code::ResourceExhausted => HealthState::Live,
        Code::Internal | Code::Unknown | Code::DataLoss => HealthState::Error,
        _ => HealthState::Connected,
    }
}

/// An error and its causes, `: `-joined (`transport error: tcp connect error: Connection refused`).
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_states() {
        assert_eq!(http_state(200), HealthState::Ready);
        assert_eq!(http_state(401), HealthState::Connected);
        assert_eq!(http_state(429), HealthState::Live);
        assert_eq!(http_state(502), HealthState::Error);
        assert_eq!(grpc_state(Code::Unauthenticated), HealthState::Connected);
        assert_eq!(grpc_state(Code::Internal), HealthState::Error);
    }
}
