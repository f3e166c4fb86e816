//! The instance's email: one mail server the operator names (`SWITCHYARD_SMTP_URL`,
//! `SWITCHYARD_MAIL_FROM`), spoken to with lettre. Without it `Mail` is off and everything
//! that would send email says so instead. A send is bounded in time (`SEND_LIMIT`) and never
//! holds a database transaction; what the server answered is told in words (`Refusal`).

pub mod letters;
mod test_email;

pub use letters::Letter;
pub use switchyard_model::mail::{EmailSent, EmailStatus, Handed};
pub use test_email::{TESTED, send_test};

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// The environment variables email is configured by.
pub const URL_ENV: &str = "SWITCHYARD_SMTP_URL";
pub const FROM_ENV: &str = "SWITCHYARD_MAIL_FROM";

/// How long one SMTP command may wait for the server, and one whole send.
const COMMAND_LIMIT: Duration = Duration::from_secs(10);
pub const SEND_LIMIT: Duration = Duration::from_secs(30);

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// `smtps://`: TLS from the first byte (port 465 unless given).
    Tls,
    /// `smtp://` (the default): STARTTLS, required; nothing is sent in the clear (port 587).
    StartTls,
    /// `smtp://...?tls=none`: no encryption, for a relay on the same machine or network
    /// (port 25).
    None,
}

impl Protection {
    fn words(self) -> &'static str {
        match self {
            Protection::Tls => "TLS",
            Protection::StartTls => "STARTTLS",
            Protection::None => "no encryption",
        }
    }
}

/// The mail server as `SWITCHYARD_SMTP_URL` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub protection: Protection,
    pub user: Option<String>,
    pub password: Option<String>,
    pub from: lettre::message::Mailbox,
}

impl Settings {
    /// Reads `smtp://user:password@host:port?tls=starttls|none` or `smtps://...` and the
    /// address mail comes from (`Switchyard <switchyard@example.com>` or a bare address).
    pub fn parse(url: &str, from: &str) -> Result<Settings, String> {
        let shown = "like smtp://user:password@mail.example:587";
        let parsed =
            url::Url::parse(url.trim()).map_err(|_| format!("{URL_ENV} must be {shown}"))?;
        let mut protection = match parsed.scheme() {
            "smtp" => Protection::StartTls,
            "smtps" => Protection::Tls,
            other => {
                return Err(format!(
                    "{URL_ENV} must start smtp:// or smtps://, not {other}://"
                ));
            }
        };
        for (key, value) in parsed.query_pairs() {
            match (key.as_ref(), value.as_ref(), protection) {
                ("tls", "starttls", Protection::StartTls) => {}
                ("tls", "none", Protection::StartTls) => protection = Protection::None,
                ("tls", _, Protection::Tls) => {
                    return Err(format!(
                        "{URL_ENV}: smtps:// is TLS already; leave out ?tls="
                    ));
                }
                ("tls", other, _) => {
                    return Err(format!("{URL_ENV}: tls= is starttls or none, not {other}"));
                }
                (other, _, _) => return Err(format!("{URL_ENV}: unknown setting {other}=")),
            }
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{URL_ENV} must name the mail server, {shown}"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = parsed.port().unwrap_or(match protection {
            Protection::Tls => 465,
            Protection::StartTls => 587,
            Protection::None => 25,
        });
        let decode = |s: &str| {
            percent_decode(s)
                .ok_or_else(|| format!("{URL_ENV}: the user or password is not valid UTF-8"))
        };
        let user = Some(parsed.username())
            .filter(|u| !u.is_empty())
            .map(decode)
            .transpose()?;
        let password = parsed.password().map(decode).transpose()?;
        if password.is_some() && user.is_none() {
            return Err(format!("{URL_ENV}: a password needs a user"));
        }
        let from = from.trim();
        if from.is_empty() {
            return Err(format!(
                "{FROM_ENV} must say who email comes from, like Switchyard <switchyard@example.com>"
            ));
        }
        let from = from.parse().map_err(|_| {
            format!("{FROM_ENV} must be an address like Switchyard <switchyard@example.com>, not `{from}`")
        })?;
        Ok(Settings {
            host,
            port,
            protection,
            user,
            password,
            from,
        })
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS for {host}: {e}"))
        };
        let tls = match self.protection {
            Protection::Tls => Tls::Wrapper(tls(&self.host)?),
            Protection::StartTls => Tls::Required(tls(&self.host)?),
            Protection::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(COMMAND_LIMIT));
        if let Some(user) = &self.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                self.password.clone().unwrap_or_default(),
            ));
        }
        Ok(builder.build())
    }
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The instance's email: on with a mail server, or off.
#[derive(Clone, Default)]
pub struct Mail(Option<Arc<Server>>);

struct Server {
    settings: Settings,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

/// Why a mail server did not take a letter, in words for the person who asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "Email is off on this server: whoever runs Switchyard sets {URL_ENV} and {FROM_ENV} to turn it on."
    )]
    Off,
    #[error("{0}")]
    Failed(String),
}

impl Mail {
    /// Email off.
    pub fn off() -> Self {
        Mail(None)
    }

    pub fn new(settings: Settings) -> Result<Self, String> {
        let transport = settings.transport()?;
        Ok(Mail(Some(Arc::new(Server {
            settings,
            transport,
        }))))
    }

    /// From `SWITCHYARD_SMTP_URL` and `SWITCHYARD_MAIL_FROM`; off when the first is unset.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(URL_ENV) {
            Ok(url) if !url.trim().is_empty() => {
                let from = std::env::var(FROM_ENV).unwrap_or_default();
                Mail::new(Settings::parse(&url, &from)?)
            }
            _ => Ok(Mail::off()),
        }
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// What the pages say of email.
    pub fn status(&self) -> EmailStatus {
        match &self.0 {
            Some(server) => {
                let s = &server.settings;
                EmailStatus {
                    server: Some(format!("{}:{} ({})", s.host, s.port, s.protection.words())),
                    from: Some(s.from.to_string()),
                }
            }
            None => EmailStatus::default(),
        }
    }

    /// Sends `letter`; the answer is what the mail server said on taking it.
    pub async fn send(&self, letter: &Letter) -> Result<String, Refusal> {
        let server = self.0.as_ref().ok_or(Refusal::Off)?;
        let message = letter
            .message(&server.settings.from)
            .map_err(Refusal::Failed)?;
        let place = format!("{}:{}", server.settings.host, server.settings.port);
        let sent = tokio::time::timeout(SEND_LIMIT, server.transport.send(message)).await;
        match sent {
            Ok(Ok(response)) => Ok(answer_words(
                &response.code().to_string(),
                response.message(),
            )),
            Ok(Err(e)) => Err(Refusal::Failed(refusal_words(&place, &e))),
            Err(_) => Err(Refusal::Failed(format!(
                "The mail server at {place} did not answer within {} seconds.",
                SEND_LIMIT.as_secs()
            ))),
        }
    }
}

/// `250 2.0.0 Ok: queued as 4F2A1`, on one line, at most 300 characters.
fn answer_words<'a>(code: &str, lines: impl Iterator<Item = &'a str>) -> String {
    let text: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
    let said = format!("{code} {}", text.join(" "));
    clip(said.trim())
}

fn clip(s: &str) -> String {
    const MAX: usize = 300;
    match s.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// Why lettre's send failed, as the person who asked would put it.
fn refusal_words(place: &str, e: &lettre::transport::smtp::Error) -> String {
    let detail =
        clip(&std::error::Error::source(e).map_or_else(|| e.to_string(), |s| s.to_string()));
    if e.is_permanent() || e.is_transient() {
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        let kind = if e.is_permanent() {
            "refused it"
        } else {
            "could not take it now"
        };
        let said = clip(&e.to_string());
        return format!("The mail server at {place} {kind}: {code} {said}").replace("  ", " ");
    }
    if e.is_timeout() {
        return format!("The mail server at {place} did not answer in time.");
    }
    if e.is_tls() {
        return format!(
            "Could not make a secure connection to the mail server at {place}: {detail}"
        );
    }
    if e.is_response() {
        return format!("The mail server at {place} answered something that is not SMTP: {detail}");
    }
    format!("Could not reach the mail server at {place}: {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_server_protection_and_credentials() {
        let s = Settings::parse(
            "smtp://ops%40acme.test:p%2Fss@mail.acme.test",
            "Switchyard <switchyard@acme.test>",
        )
        .unwrap();
        assert_eq!((s.host.as_str(), s.port), ("mail.acme.test", 587));
        assert_eq!(s.protection, Protection::StartTls);
        assert_eq!(s.user.as_deref(), Some("ops@acme.test"));
        assert_eq!(s.password.as_deref(), Some("p/ss"));
        let s = Settings::parse("smtps://mail.acme.test", "a@acme.test").unwrap();
        assert_eq!((s.port, s.protection), (465, Protection::Tls));
        let s = Settings::parse("smtp://127.0.0.1:2525?tls=none", "a@acme.test").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.protection),
            ("127.0.0.1", 2525, Protection::None)
        );
        let s = Settings::parse("smtp://relay.local?tls=none", "a@acme.test").unwrap();
        assert_eq!(s.port, 25);
    }

    #[test]
    fn a_wrong_setting_says_what_is_expected() {
        let wrong = |url, from| Settings::parse(url, from).unwrap_err();
        assert!(wrong("http://mail.acme.test", "a@acme.test").contains("smtp://"));
        assert!(
            wrong("smtp://mail.acme.test?tls=maybe", "a@acme.test").contains("starttls or none")
        );
        assert!(wrong("smtps://mail.acme.test?tls=none", "a@acme.test").contains("TLS already"));
        assert!(wrong("smtp://mail.acme.test?port=1", "a@acme.test").contains("unknown setting"));
        assert!(wrong("smtp://mail.acme.test", "").contains(FROM_ENV));
        assert!(wrong("smtp://mail.acme.test", "not an address").contains(FROM_ENV));
    }

    #[test]
    fn the_status_never_shows_the_password() {
        let settings = Settings::parse("smtp://ops:hunter2@mail.acme.test", "a@acme.test").unwrap();
        let status = Mail::new(settings).unwrap().status();
        assert_eq!(
            status.server.as_deref(),
            Some("mail.acme.test:587 (STARTTLS)")
        );
        assert!(!format!("{status:?}").contains("hunter2"));
        assert!(!Mail::off().status().is_on());
    }

    #[test]
    fn answers_are_one_short_line() {
        let answer = answer_words("250", ["2.0.0 Ok: queued as 4F2A1", ""].into_iter());
        assert_eq!(answer, "250 2.0.0 Ok: queued as 4F2A1");
        let long = "x".repeat(1000);
        assert_eq!(
            answer_words("250", [long.as_str()].into_iter())
                .chars()
                .count(),
            301
        );
    }
}
