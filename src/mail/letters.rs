//! The letters Switchyard writes: plain text a person reads in any mail program, each naming
//! who asked for it and what to do if they did not expect it.

use crate::timefmt;
use time::OffsetDateTime;

/// One email: to one person, a subject, and plain text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Names and words from people (an organization's name, a display name) on one line, with
/// no control characters, at most 120 characters: they go into subjects and greetings.
fn plain(s: &str) -> String {
    let line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

const SIGNATURE: &str = "\n-- \nSwitchyard\n";

impl Letter {
    /// What an Admin sends from Settings to see that email works.
    pub fn test(to: &str, org: &str, by: &str) -> Letter {
        Letter {
            to: to.to_owned(),
            subject: "Switchyard test email".to_owned(),
            text: format!(
                "Hello,\n\n{} sent this test email from the settings of {} on Switchyard. \
                 If you are reading it, Switchyard's email works.\n{SIGNATURE}",
                plain(by),
                plain(org)
            ),
        }
    }

    /// An invitation: the one-time link, whose it is, and until when it works.
    pub fn invitation(
        to: &str,
        org: &str,
        by: &str,
        role: &str,
        link: &str,
        until: OffsetDateTime,
        zone: &str,
    ) -> Letter {
        let (org, by) = (plain(org), plain(by));
        Letter {
            to: to.to_owned(),
            subject: format!("{by} invited you to {org} on Switchyard"),
            text: format!(
                "Hello,\n\n{by} invited you to join {org} on Switchyard as {role}.\n\n\
                 To join, open this link (it works once, until {}):\n\n{link}\n\n\
                 If you did not expect this, ignore this email: nothing happens unless you \
                 open the link and say yes.\n{SIGNATURE}",
                timefmt::Moment::new(until, zone, OffsetDateTime::now_utc()).exact
            ),
        }
    }

    /// A password reset: the one-time link, for an hour.
    pub fn password_reset(to: &str, link: &str) -> Letter {
        Letter {
            to: to.to_owned(),
            subject: "Choose a new Switchyard password".to_owned(),
            text: format!(
                "Hello,\n\nSomeone (we hope you) asked to choose a new password for the \
                 Switchyard account of {to}. Open this link to choose it; it works once, \
                 for an hour:\n\n{link}\n\nWhen you choose a new password, every other place \
                 you are signed in is signed out.\n\nIf you did not ask, ignore this email: \
                 your password stays as it is.\n{SIGNATURE}"
            ),
        }
    }

    /// An alert of the organization `org`: `[Org] subject`, and the text.
    pub fn alert(to: &str, org: &str, subject: &str, text: &str) -> Letter {
        Letter {
            to: to.to_owned(),
            subject: format!("[{}] {}", plain(org), plain(subject)),
            text: format!(
                "{text}\nYou get this email as a member of {}. To stop alert emails from it, \
                 turn them off under Your account.\n{SIGNATURE}",
                plain(org)
            ),
        }
    }

    /// The letter as lettre sends it, from `from`.
    pub(super) fn message(
        &self,
        from: &lettre::message::Mailbox,
    ) -> Result<lettre::Message, String> {
        let to: lettre::message::Mailbox = self
            .to
            .trim()
            .parse()
            .map_err(|_| format!("{} is not an email address", self.to))?;
        lettre::Message::builder()
            .from(from.clone())
            .to(to)
            .subject(plain(&self.subject))
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(self.text.clone())
            .map_err(|e| format!("The email could not be written: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_people_stay_on_one_line() {
        let letter = Letter::test("a@acme.test", "Acme\r\nBcc: x@evil.test", "Ada");
        assert!(letter.text.contains("settings of Acme Bcc: x@evil.test on"));
        let long = plain(&"a".repeat(500));
        assert_eq!(long.chars().count(), 121);
    }

    #[test]
    fn a_subject_cannot_add_headers() {
        let letter = Letter {
            to: "a@acme.test".into(),
            subject: "Hi\r\nBcc: x@evil.test".into(),
            text: "body".into(),
        };
        let from = "Switchyard <s@acme.test>".parse().unwrap();
        let message = String::from_utf8(letter.message(&from).unwrap().formatted()).unwrap();
        assert!(!message.contains("\r\nBcc:"), "{message}");
        assert!(
            message.contains("Subject: Hi Bcc: x@evil.test\r\n"),
            "{message}"
        );
        assert!(message.contains("To: a@acme.test\r\n"), "{message}");
    }

    #[test]
    fn a_letter_to_no_address_is_not_written() {
        let letter = Letter::test("not an address", "Acme", "Ada");
        let from = "s@acme.test".parse().unwrap();
        assert!(
            letter
                .message(&from)
                .unwrap_err()
                .contains("not an email address")
        );
    }
}
