//! Making a worked-out call: opening its secrets, checking where they may go, waiting for a
//! place in flight, and sending it through the egress guard within the step's limits.

use super::words::{answered_words, http_words, retry_after};
use super::*;

/// The secrets a call uses, opened: kept only in memory, for as long as the call takes.
pub struct Opened(Vec<(String, String, Vec<String>)>);

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|(n, ..)| n.as_str()).collect();
        write!(f, "Opened({names:?})")
    }
}

/// Makes the call: `open` then `send_opened`.
pub async fn send(conn: &mut Conn, caller: &Caller, call: &Call) -> Sent {
    match open(conn, caller, call).await {
        Ok(opened) => send_opened(caller, call, opened).await,
        Err(sent) => sent,
    }
}

/// Opens the secrets the call uses (one read, no transaction); a secret that is missing or
/// cannot be opened fails the step with nothing sent.
pub async fn open(conn: &mut Conn, caller: &Caller, call: &Call) -> Result<Opened, Sent> {
    let fail = |message: String| Err(call.answered(call.shown(), Err(Failed::never(message))));
    let mut opened: Vec<(String, String, Vec<String>)> = Vec::new();
    for name in &call.secrets {
        match crate::secrets::reveal(conn, caller.key.as_ref(), &call.org, name).await {
            Ok(Some((value, hosts))) => opened.push((name.clone(), value, hosts)),
            Ok(None) => {
                return fail(format!(
                    "There is no secret {name} in this organization: an Admin sets it on Settings. Nothing was sent."
                ));
            }
            Err(e) => return fail(format!("{e} Nothing was sent.")),
        }
    }
    Ok(Opened(opened))
}

/// Sends the call with its secrets `opened`, after checking that each may go to the URL's
/// host, unless the organization or the host is at its bound (`Sent::Busy`), through the
/// guard within the step's limits. Needs no database. Every message and the answer are masked.
pub async fn send_opened(caller: &Caller, call: &Call, opened: Opened) -> Sent {
    let shown = call.shown();
    let fail = |failed: Failed| call.answered(shown.clone(), Err(failed));
    let opened = opened.0;
    let value_of = |name: &str| {
        opened
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, v, _)| v.clone())
            .unwrap_or_default()
    };
    let values: Vec<(&str, &str)> = opened
        .iter()
        .map(|(n, v, _)| (n.as_str(), v.as_str()))
        .collect();
    let mask = |text: &str| crate::secrets::mask::mask(text, &values);
    let shown_url = fill(call, &call.url, &masked);
    let Ok(url) = reqwest::Url::parse(&fill(call, &call.url, &value_of)) else {
        return fail(Failed::never(format!(
            "“{shown_url}” is not a web address like https://crm.example/customers. Nothing was sent."
        )));
    };
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    for (name, _, hosts) in &opened {
        if !hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
            return fail(Failed::never(format!(
                "The secret {name} may be sent only to {}; this request goes to {host}. Nothing was sent.",
                hosts.join(", ")
            )));
        }
    }
    let place = caller
        .inflight
        .wait_for(call.org.as_str(), &host, PLACE_WAIT);
    let Some(_ticket) = place.await else {
        return Sent::Busy;
    };
    let guard = if opened.is_empty() {
        caller.guard.clone()
    } else {
        caller.guard.keeping_host()
    };
    let method = reqwest::Method::from_bytes(call.method.as_str().as_bytes())
        .unwrap_or(reqwest::Method::POST);
    let builder = match guard.request(method, url) {
        Ok(builder) => builder,
        Err(refused) => return fail(Failed::never(format!("{refused}. Nothing was sent."))),
    };
    let query: Vec<(String, String)> = call
        .query
        .iter()
        .map(|(k, v)| (k.clone(), fill(call, v, &value_of)))
        .collect();
    let mut builder = builder.query(&query);
    for (name, value) in call.all_headers(&value_of) {
        builder = builder.header(name, value);
    }
    builder = match &call.body {
        Some(CallBody::Json(value)) => builder
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(value).unwrap_or_default()),
        Some(CallBody::Form(fields)) => builder.form(fields),
        Some(CallBody::Text(text)) => builder
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(text.clone()),
        None => builder,
    };
    let request = match builder.build() {
        Ok(request) => request,
        Err(_) => {
            return fail(Failed::never(
                "A header or query value holds characters a request cannot carry (such as a line break). Nothing was sent.".into(),
            ));
        }
    };
    let limits = Limits {
        timeout: call.timeout,
        ..Limits::STEP
    };
    let result = match crate::egress::call::call(&guard, request, limits).await {
        Ok(answer) => {
            let mut headers = Map::new();
            for (k, v) in &answer.headers {
                headers.insert(k.clone(), Value::String(v.clone()));
            }
            let kept = json!({
                "status": answer.status,
                "headers": headers,
                "body": answer.body,
                "truncated": answer.truncated,
                "ms": answer.elapsed.as_millis() as u64,
            });
            let kept = crate::secrets::mask::mask_json(&kept, &values);
            if call.success.accepts(answer.status) {
                Ok(kept)
            } else {
                let retry_after = answer
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                    .and_then(|(_, v)| retry_after(v, OffsetDateTime::now_utc()))
                    .map(|wait| wait.min(RETRY_AFTER_MAX));
                let retry = match (retryable(answer.status), retry_after) {
                    (false, _) => Retry::Never,
                    (true, Some(wait)) => Retry::After(wait),
                    (true, None) => Retry::Policy,
                };
                Err(Failed {
                    message: mask(&answered_words(&host, answer.status, &kept["body"])),
                    answer: Some(kept),
                    retry,
                })
            }
        }
        Err(CallFailure::Refused(refused)) => Err(Failed::never(mask(&format!(
            "{refused}. Nothing was sent."
        )))),
        Err(failure @ CallFailure::BodyTooLarge { .. }) => {
            Err(Failed::never(format!("{failure}. Nothing was sent.")))
        }
        Err(CallFailure::TimedOut(limit)) => Err(Failed::plain(format!(
            "{host} did not answer within {}",
            crate::timefmt::length_text(limit.as_millis() as i64)
        ))),
        Err(CallFailure::Http(e)) => Err(Failed::plain(mask(&http_words(&host, &e)))),
    };
    call.answered(shown, result)
}
