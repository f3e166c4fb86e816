//! Passwords: what a new one must be, and hashing and checking them with Argon2id on a few
//! threads of their own, never on the async runtime's and never holding a database connection.

use crate::workflow::FieldError;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::collections::HashSet;
use std::sync::LazyLock;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// The 10,000 most common passwords and the longer ones of the next 20,000, from the list of
/// 30,000 the zxcvbn password-strength estimator ships (MIT), one per line, lower-case.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// Why a new password is refused, or `None` for a good one. A common password with digits or
/// signs put after it (`sunshine2026!`) is as common as the word.
pub fn weakness(password: &str, email: &str) -> Option<String> {
    let length = password.chars().count();
    if length < PASSWORD_MIN {
        return Some(format!(
            "Use at least {PASSWORD_MIN} characters; a few words you will remember make a good one"
        ));
    }
    if length > PASSWORD_MAX {
        return Some(format!("Use at most {PASSWORD_MAX} characters"));
    }
    let lower = password.to_lowercase();
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    let single = lower.chars().all(|c| lower.starts_with(c));
    if COMMON.contains(lower.as_str())
        || (stem.chars().count() >= 4 && COMMON.contains(stem))
        || single
        || (local.chars().count() >= 4 && lower.contains(&local))
    {
        return Some(
            "This password is too common or too easy to guess; choose another one".to_owned(),
        );
    }
    None
}

/// `weakness` as a field error of `field`.
pub fn check_new(field: &str, password: &str, email: &str) -> Result<(), FieldError> {
    match weakness(password, email) {
        Some(message) => Err(FieldError::new(field, message)),
        None => Ok(()),
    }
}

/// Argon2id with m=19456 KiB, t=2, p=1 (OWASP's minimum).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("static Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The threads that hash and check passwords, and how much work may wait for them: enough for a
/// burst of people signing in, bounded so that a flood of attempts cannot hold more memory (each
/// check takes 19 MiB) or threads than this. A check waits at most `WAIT` for its place.
const THREADS: usize = 2;
const QUEUE: usize = 64;
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

/// Places in the queue: a job holds one until it has run, so the channel is never full.
static PLACES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(QUEUE);

static POOL: LazyLock<SyncSender<Job>> = LazyLock::new(|| {
    let (sender, receiver) = sync_channel::<Job>(QUEUE);
    let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
    for n in 0..THREADS {
        let receiver = receiver.clone();
        std::thread::Builder::new()
            .name(format!("passwords-{n}"))
            .spawn(move || {
                loop {
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })
            .expect("password threads start");
    }
    sender
});

/// The password threads stayed busy for `WAIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many passwords are being checked right now")]
pub struct Busy;

/// Runs `work` on the password threads and waits for its answer without blocking the runtime;
/// `Busy` if no place in their queue came free within `WAIT`.
async fn on_password_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Busy> {
    let place = tokio::time::timeout(WAIT, PLACES.acquire())
        .await
        .map_err(|_| Busy)?
        .map_err(|_| Busy)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    match POOL.try_send(job) {
        Ok(()) => {
            let answer = rx.await.map_err(|_| Busy);
            drop(place);
            answer
        }
        Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
    }
}

/// Hashes a password (Argon2 is deliberately slow).
pub async fn hash_password(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    on_password_threads(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// Whether `password` matches `hash`.
pub async fn verify(password: &str, hash: &str) -> Result<bool, Busy> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    on_password_threads(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
}

/// A hash of nothing in particular, verified against for unknown emails so that they take as
/// long as a wrong password.
pub(crate) static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(b"decoy password for unknown accounts", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::weakness;

    #[test]
    fn new_passwords_are_long_enough_and_not_common() {
        let email = "ada.lovelace@acme.test";
        assert!(weakness("correct horse battery", email).is_none());
        assert!(weakness("short one", email).is_some());
        assert!(weakness(&"x".repeat(129), email).is_some());
        assert!(weakness(&"ab".repeat(64), email).is_none());
        for common in [
            "qwerty123456",
            "Password1234",
            "sunshine2026!",
            "1qaz2wsx3edc",
            "aaaaaaaaaaaa",
            "ada.lovelace-2026",
        ] {
            assert!(weakness(common, email).is_some(), "{common}");
        }
    }
}
