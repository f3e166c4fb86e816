//! What "Your account" shows: the person's signed-in sessions (`crate::account` reads them).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One signed-in session of the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// What the page names it by (not the session's secret id).
    pub handle: String,
    pub signed_in_at: Option<OffsetDateTime>,
    pub seen_at: Option<OffsetDateTime>,
    /// The browser, as it named itself when signing in.
    pub browser: String,
    pub address: Option<String>,
    /// The session this page was asked from.
    pub current: bool,
}

impl SessionEntry {
    /// The browser in a few words ("Firefox on Linux"), from its `User-Agent`.
    pub fn browser_name(&self) -> String {
        let agent = self.browser.as_str();
        let browser = [
            ("Edg/", "Edge"),
            ("OPR/", "Opera"),
            ("Firefox/", "Firefox"),
            ("Chromium/", "Chromium"),
            ("HeadlessChrome/", "Chrome (headless)"),
            ("Chrome/", "Chrome"),
            ("Safari/", "Safari"),
            ("curl/", "curl"),
        ]
        .into_iter()
        .find(|(mark, _)| agent.contains(mark))
        .map(|(_, name)| name);
        let system = [
            ("Windows", "Windows"),
            ("Android", "Android"),
            ("iPhone", "iPhone"),
            ("iPad", "iPad"),
            ("Mac OS X", "macOS"),
            ("Linux", "Linux"),
        ]
        .into_iter()
        .find(|(mark, _)| agent.contains(mark))
        .map(|(_, name)| name);
        match (browser, system) {
            (Some(b), Some(s)) => format!("{b} on {s}"),
            (Some(b), None) => b.to_owned(),
            (None, Some(s)) => format!("A browser on {s}"),
            (None, None) if agent.is_empty() => "Unknown browser".to_owned(),
            (None, None) => agent.chars().take(60).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SessionEntry;

    #[test]
    fn browsers_are_named_in_a_few_words() {
        let named = |agent: &str| {
            SessionEntry {
                handle: String::new(),
                signed_in_at: None,
                seen_at: None,
                browser: agent.to_owned(),
                address: None,
                current: false,
            }
            .browser_name()
        };
        assert_eq!(
            named("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
            "Firefox on Linux"
        );
        assert_eq!(
            named(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
            ),
            "Edge on Windows"
        );
        assert_eq!(
            named(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
            ),
            "Safari on macOS"
        );
        assert_eq!(named(""), "Unknown browser");
    }
}
