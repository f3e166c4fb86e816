//! One HTTP call made within limits: a request body of at most `Limits::body_max`, an answer
//! read up to `Limits::read_max` and kept up to `Limits::keep_max` (marked truncated when
//! cut), and the whole exchange, redirects and reading included, within `Limits::timeout`.
//! No database is involved: callers make the call with no transaction open.

use super::{Failure, Guard, Refused};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The bounds of one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The whole exchange, from connecting to the last byte read.
    pub timeout: Duration,
    pub body_max: usize,
    pub read_max: usize,
    pub keep_max: usize,
}

impl Limits {
    /// A step's call: 30 s, 256 KiB sent, 5 MiB read, 64 KiB kept.
    pub const STEP: Limits = Limits {
        timeout: Duration::from_secs(30),
        body_max: 256 * 1024,
        read_max: 5 * 1024 * 1024,
        keep_max: 64 * 1024,
    };
    /// The longest a step's time limit may make a call.
    pub const TIMEOUT_MAX: Duration = Duration::from_secs(120);
}

/// The answer as kept: its status, headers and body (JSON parsed when it says it is JSON and
/// fits, text otherwise), cut to the limits.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    /// The body was longer than what is kept (or than what is read).
    pub truncated: bool,
    pub elapsed: Duration,
}

/// What became of a call that got no answer within its limits.
#[derive(Debug, thiserror::Error)]
pub enum CallFailure {
    #[error(transparent)]
    Refused(Refused),
    #[error("The request body has {bytes} bytes; at most {max} may be sent")]
    BodyTooLarge { bytes: usize, max: usize },
    #[error("No answer within {} s", .0.as_secs_f64())]
    TimedOut(Duration),
    #[error("The call failed: {0}")]
    Http(reqwest::Error),
}

impl From<Failure> for CallFailure {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Refused(refused) => CallFailure::Refused(refused),
            Failure::Http(err) => CallFailure::Http(err),
        }
    }
}

/// Makes the call through `guard` within `limits`.
pub async fn call(
    guard: &Guard,
    request: reqwest::Request,
    limits: Limits,
) -> Result<Answer, CallFailure> {
    let sent = request
        .body()
        .and_then(|b| b.as_bytes())
        .map_or(0, <[u8]>::len);
    if sent > limits.body_max {
        return Err(CallFailure::BodyTooLarge {
            bytes: sent,
            max: limits.body_max,
        });
    }
    let started = Instant::now();
    let exchange = async {
        let mut response = guard.send(request).await?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .take(64)
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("json"));
        let mut read = Vec::new();
        let mut cut = false;
        while let Some(chunk) = response.chunk().await.map_err(Failure::Http)? {
            let room = limits.read_max - read.len();
            if chunk.len() > room {
                read.extend_from_slice(&chunk[..room]);
                cut = true;
                break;
            }
            read.extend_from_slice(&chunk);
        }
        Ok::<_, CallFailure>((status, headers, json, read, cut))
    };
    let (status, headers, json, read, cut) = tokio::time::timeout(limits.timeout, exchange)
        .await
        .map_err(|_| CallFailure::TimedOut(limits.timeout))??;
    let (body, truncated) = kept(&read, json && !cut, limits.keep_max);
    Ok(Answer {
        status,
        headers,
        body,
        truncated: truncated || cut,
        elapsed: started.elapsed(),
    })
}

pub fn http_words(host: &str, e: &reqwest::Error) -> String {
    if e.is_connect() {
        format!("Could not connect to {host}")
    } else if e.is_timeout() {
        format!("{host} did not answer in time")
    } else if e.is_redirect() {
        format!("{host} redirected too often")
    } else {
        let cause = std::error::Error::source(e)
            .map(|s| s.to_string())
            .unwrap_or_else(|| "the connection failed".into());
        format!("The call to {host} failed: {cause}")
    }
}

/// The body as kept: parsed JSON when it is JSON and its text fits in `keep_max`, else its
/// text cut to `keep_max` bytes (on a character boundary); whether it was cut.
fn kept(read: &[u8], json: bool, keep_max: usize) -> (Value, bool) {
    if json
        && read.len() <= keep_max
        && let Ok(value) = serde_json::from_slice::<Value>(read)
    {
        return (value, false);
    }
    let text = String::from_utf8_lossy(read);
    if text.len() <= keep_max {
        return (Value::String(text.into_owned()), false);
    }
    let mut end = keep_max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (Value::String(text[..end].to_owned()), true)
}

#[cfg(test)]
mod tests {
    use super::kept;
    use serde_json::json;

    #[test]
    fn a_body_is_kept_parsed_when_it_is_json_and_fits_and_cut_on_a_character_otherwise() {
        assert_eq!(kept(br#"{"id": 7}"#, true, 100), (json!({"id": 7}), false));
        assert_eq!(
            kept(br#"{"id": 7}"#, false, 100),
            (json!(r#"{"id": 7}"#), false)
        );
        assert_eq!(kept(b"not json", true, 100), (json!("not json"), false));
        assert_eq!(kept("ééé".as_bytes(), false, 3), (json!("é"), true));
        assert_eq!(kept(br#"{"id": 7}"#, true, 4), (json!(r#"{"id"#), true));
    }
}
