//! HTTP steps' way out. Every request goes through `Guard`: only http and https, no user or
//! password in the address, and no address the policy refuses (`policy`): an address written
//! in the URL is checked before anything is sent, a host name is resolved once by the guard's
//! own resolver, which checks every address it finds, and the connection goes to those checked
//! addresses (no second lookup a DNS answer could change). Every redirect is checked the same
//! way, at most `MAX_REDIRECTS`, never from https to http. No proxy from the environment.

pub mod call;
pub mod inflight;
pub mod policy;

pub use inflight::Inflight;
pub use policy::Allowed;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Client, Url, redirect};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Redirects followed at most, each checked like the first address.
pub const MAX_REDIRECTS: usize = 3;
/// The longest a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a request was not sent, in words a step's error can carry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("Only http and https addresses can be called, not “{0}:”")]
    Scheme(String),
    #[error(
        "The address holds a user name or password: give them in the step's authentication instead"
    )]
    Credentials,
    #[error("The address names no host")]
    NoHost,
    #[error("{host} ({ip}) {why}: Switchyard does not call it")]
    Address {
        host: String,
        ip: IpAddr,
        why: &'static str,
    },
    #[error("No address was found for {0}")]
    Unknown(String),
    #[error("It redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects,
    #[error("It redirected from https to plain http, which would send the request unencrypted")]
    Downgrade,
    #[error(
        "It redirected to {0}, another host: the request carries secrets, so it was not followed"
    )]
    SecretsElsewhere(String),
}

/// What became of a request that got no answer.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Refused before it was sent (or before a redirect was followed): not worth retrying.
    #[error(transparent)]
    Refused(Refused),
    /// Sent, or tried: the connection, the time or the protocol failed.
    #[error(transparent)]
    Http(reqwest::Error),
}

/// The client HTTP steps send with, and the policy it keeps. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Guard {
    allowed: Arc<Allowed>,
    client: Client,
    /// The client of requests that carry secrets: it follows no redirect to another host.
    keeping_host: Client,
    /// The client of webhook deliveries: it follows no redirect at all (a redirect is an
    /// answer, and not a 2xx one).
    staying: Client,
}

fn staying(allowed: &Arc<Allowed>) -> Result<Client, reqwest::Error> {
    Client::builder()
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .dns_resolver(Arc::new(Checked(Arc::clone(allowed))))
        .redirect(redirect::Policy::none())
        .build()
}

fn client(allowed: &Arc<Allowed>, keep_host: bool) -> Result<Client, reqwest::Error> {
    let on_redirect = Arc::clone(allowed);
    Client::builder()
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .dns_resolver(Arc::new(Checked(Arc::clone(allowed))))
        .redirect(redirect::Policy::custom(move |attempt| {
            let first = attempt.previous().first();
            let from_https = attempt
                .previous()
                .last()
                .is_some_and(|u| u.scheme() == "https");
            let other_host = first.is_some_and(|u| u.host_str() != attempt.url().host_str());
            let refused = if attempt.previous().len() > MAX_REDIRECTS {
                Some(Refused::TooManyRedirects)
            } else if from_https && attempt.url().scheme() != "https" {
                Some(Refused::Downgrade)
            } else if keep_host && other_host {
                Some(Refused::SecretsElsewhere(
                    attempt.url().host_str().unwrap_or_default().to_owned(),
                ))
            } else {
                check(&on_redirect, attempt.url()).err()
            };
            match refused {
                Some(refused) => attempt.error(refused),
                None => attempt.follow(),
            }
        }))
        .build()
}

impl Guard {
    pub fn new(allowed: Allowed) -> Result<Guard, reqwest::Error> {
        let allowed = Arc::new(allowed);
        Ok(Guard {
            client: client(&allowed, false)?,
            keeping_host: client(&allowed, true)?,
            staying: staying(&allowed)?,
            allowed,
        })
    }

    /// This guard letting steps reach Switchyard's own `addr` too (the demo's CRM).
    pub fn with_own(&self, addr: std::net::SocketAddr) -> Result<Guard, reqwest::Error> {
        Guard::new((*self.allowed).clone().with_own(addr))
    }

    /// This guard for a request that carries secrets: a redirect to another host is refused
    /// (so the secrets are never sent there), not followed.
    pub fn keeping_host(&self) -> Guard {
        Guard {
            allowed: Arc::clone(&self.allowed),
            client: self.keeping_host.clone(),
            keeping_host: self.keeping_host.clone(),
            staying: self.staying.clone(),
        }
    }

    /// This guard following no redirect: a 3xx comes back as the answer (webhook deliveries).
    pub fn staying(&self) -> Guard {
        Guard {
            allowed: Arc::clone(&self.allowed),
            client: self.staying.clone(),
            keeping_host: self.staying.clone(),
            staying: self.staying.clone(),
        }
    }

    /// Whether `url` may be called as far as it can be told without resolving its host.
    pub fn check(&self, url: &Url) -> Result<(), Refused> {
        check(&self.allowed, url)
    }

    /// A request to `url` to build with this guard's client (then `send` it through the
    /// guard). Checked first: the builder turns a user and password in the address into a
    /// header, which could then no longer be refused.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: Url,
    ) -> Result<reqwest::RequestBuilder, Refused> {
        self.check(&url)?;
        Ok(self.client.request(method, url))
    }

    /// Sends `request` if its address is allowed, following redirects that are.
    pub async fn send(&self, request: reqwest::Request) -> Result<reqwest::Response, Failure> {
        self.check(request.url()).map_err(Failure::Refused)?;
        self.client
            .execute(request)
            .await
            .map_err(|err| match refusal_in(&err) {
                Some(refused) => Failure::Refused(refused),
                None => Failure::Http(err),
            })
    }
}

/// The scheme, the credentials and an address written in the URL.
fn check(allowed: &Allowed, url: &Url) -> Result<(), Refused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme(url.scheme().to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    let ip = match url.host().ok_or(Refused::NoHost)? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        // A name: the resolver checks what it resolves to.
        url::Host::Domain(_) => return Ok(()),
    };
    let host = url.host_str().unwrap_or_default();
    if allowed.is_own(ip, url.port_or_known_default()) {
        return Ok(());
    }
    match allowed.refuses(host, ip) {
        Some(why) => Err(Refused::Address {
            host: host.to_owned(),
            ip,
            why,
        }),
        None => Ok(()),
    }
}

/// The refusal somewhere in the chain of causes of a client error, if it is one.
fn refusal_in(err: &reqwest::Error) -> Option<Refused> {
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = link {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.clone());
        }
        link = e.source();
    }
    None
}

/// Resolves a host name once and hands the client only addresses the policy allows; one
/// refused address refuses the name.
struct Checked(Arc<Allowed>);

impl Resolve for Checked {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = Arc::clone(&self.0);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| Refused::Unknown(host.clone()))?
                .collect();
            if found.is_empty() {
                return Err(Refused::Unknown(host).into());
            }
            if let Some((ip, why)) = found
                .iter()
                .find_map(|a| allowed.refuses(&host, a.ip()).map(|why| (a.ip(), why)))
            {
                return Err(Refused::Address { host, ip, why }.into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}
