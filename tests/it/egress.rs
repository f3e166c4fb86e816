//! The HTTP steps' guard against a real server on this machine that counts what reaches it:
//! what the policy refuses is refused before anything is sent, redirects included.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use switchyard::egress::{Allowed, Failure, Guard, Refused};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server on 127.0.0.1 answering every request with `answer(port)` (a whole HTTP/1.1
/// response), counting the requests it read.
struct Counting {
    port: u16,
    requests: Arc<AtomicUsize>,
}

impl Counting {
    async fn start(answer: impl Fn(u16) -> String + Send + Sync + 'static) -> Counting {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&requests);
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (counted, answer) = (Arc::clone(&counted), Arc::clone(&answer));
                tokio::spawn(async move {
                    let mut read = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !read.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => read.extend_from_slice(&buf[..n]),
                        }
                    }
                    counted.fetch_add(1, Ordering::SeqCst);
                    let _ = socket.write_all(answer(port).as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Counting { port, requests }
    }

    fn ok() -> impl Fn(u16) -> String + Send + Sync + 'static {
        |_| "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_owned()
    }

    fn redirect(to: String) -> impl Fn(u16) -> String + Send + Sync + 'static {
        move |_| {
            format!(
                "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
        }
    }

    fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn get(guard: &Guard, url: &str) -> Result<reqwest::Response, Failure> {
    let request = guard
        .request(reqwest::Method::GET, url.parse().expect("url"))
        .map_err(Failure::Refused)?
        .build()
        .expect("request");
    guard.send(request).await
}

fn refused(answer: Result<reqwest::Response, Failure>) -> Refused {
    match answer {
        Err(Failure::Refused(refused)) => refused,
        Err(Failure::Http(err)) => panic!("sent, and failed: {err}"),
        Ok(response) => panic!("sent, and answered {}", response.status()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nothing_allowed_this_machine_its_networks_and_the_metadata_service_are_refused() {
    let server = Counting::start(Counting::ok()).await;
    let guard = Guard::new(Allowed::default()).expect("guard");
    let p = server.port;
    for url in [
        format!("http://127.0.0.1:{p}/"),
        format!("http://[::1]:{p}/"),
        format!("http://[::ffff:127.0.0.1]:{p}/"),
        format!("http://localhost:{p}/"),
        format!("http://2130706433:{p}/"),
        "http://10.0.0.1/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[fd00:ec2::254]/".to_owned(),
    ] {
        let why = refused(get(&guard, &url).await);
        assert!(matches!(why, Refused::Address { .. }), "{url}: {why:?}");
    }
    assert_eq!(
        refused(get(&guard, &format!("ftp://127.0.0.1:{p}/")).await),
        Refused::Scheme("ftp".into())
    );
    assert_eq!(
        refused(get(&guard, "https://user:secret@example.com/").await),
        Refused::Credentials
    );
    let words = refused(get(&guard, &format!("http://127.0.0.1:{p}/")).await).to_string();
    assert_eq!(
        words,
        "127.0.0.1 (127.0.0.1) is this machine: Switchyard does not call it"
    );
    assert_eq!(server.count(), 0, "nothing reached the server");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_host_that_redirects_to_a_refused_address_is_not_followed() {
    let target = Counting::start(Counting::ok()).await;
    let bouncer = Counting::start(Counting::redirect(format!(
        "http://127.0.0.1:{}/",
        target.port
    )))
    .await;
    // The operator allows the bouncer by its name, not the address it redirects to.
    let guard = Guard::new(Allowed::parse("localhost").expect("allowed")).expect("guard");
    let why = refused(get(&guard, &format!("http://localhost:{}/", bouncer.port)).await);
    assert!(matches!(why, Refused::Address { .. }), "{why:?}");
    assert_eq!(bouncer.count(), 1);
    assert_eq!(target.count(), 0, "the redirect was not followed");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_range_is_reached_and_redirects_stop_after_three() {
    let server = Counting::start(Counting::ok()).await;
    let guard = Guard::new(Allowed::parse("127.0.0.1").expect("allowed")).expect("guard");
    let answer = get(&guard, &format!("http://127.0.0.1:{}/", server.port))
        .await
        .expect("reached");
    assert_eq!(answer.status(), 200);
    assert_eq!(server.count(), 1);

    // A server that sends every request back to itself: the first and three redirects.
    let looping = Counting::start(|port| {
        format!(
            "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{port}/again\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
    })
    .await;
    let why = refused(get(&guard, &format!("http://127.0.0.1:{}/", looping.port)).await);
    assert_eq!(why, Refused::TooManyRedirects);
    assert_eq!(looping.count(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_metadata_service_stays_refused_when_the_operator_allows_it() {
    let guard = Guard::new(
        Allowed::parse("169.254.169.254, 169.254.0.0/16, fd00:ec2::254").expect("allowed"),
    )
    .expect("guard");
    for url in ["http://169.254.169.254/", "http://[fd00:ec2::254]/"] {
        let why = refused(get(&guard, url).await);
        assert!(why.to_string().contains("metadata service"), "{url}: {why}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_is_kept_within_its_limits_and_a_slow_one_times_out() {
    use switchyard::egress::call::{CallFailure, Limits, call};
    let guard = Guard::new(Allowed::parse("127.0.0.1").expect("allowed")).expect("guard");
    let request = |port: u16, body: Vec<u8>| {
        guard
            .request(
                reqwest::Method::POST,
                format!("http://127.0.0.1:{port}/").parse().expect("url"),
            )
            .expect("allowed")
            .body(body)
            .build()
            .expect("request")
    };

    // JSON is parsed.
    let json = Counting::start(|_| {
        let body = r#"{"id": "cus_1"}"#;
        format!(
            "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let answer = call(&guard, request(json.port, b"{}".to_vec()), Limits::STEP)
        .await
        .expect("answered");
    assert_eq!(answer.status, 201);
    assert_eq!(answer.body, serde_json::json!({"id": "cus_1"}));
    assert!(!answer.truncated);

    // A 10 MiB answer is read up to 5 MiB and kept up to 64 KiB, marked truncated.
    let huge = Counting::start(|_| {
        let body = "x".repeat(10 * 1024 * 1024);
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let answer = call(&guard, request(huge.port, Vec::new()), Limits::STEP)
        .await
        .expect("answered");
    assert!(answer.truncated);
    assert_eq!(
        answer.body.as_str().map(str::len),
        Some(Limits::STEP.keep_max)
    );

    // A body over the limit is refused, and nothing is sent.
    let counting = Counting::start(Counting::ok()).await;
    let too_big = vec![b'a'; Limits::STEP.body_max + 1];
    let refused = call(&guard, request(counting.port, too_big), Limits::STEP).await;
    assert!(
        matches!(refused, Err(CallFailure::BodyTooLarge { bytes, .. }) if bytes == Limits::STEP.body_max + 1),
        "{refused:?}"
    );
    assert_eq!(counting.count(), 0);

    // An answer slower than the time limit: the call gives up at the limit.
    let slow = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = slow.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = slow.accept().await {
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                drop(socket);
            });
        }
    });
    let limits = Limits {
        timeout: std::time::Duration::from_millis(300),
        ..Limits::STEP
    };
    let started = std::time::Instant::now();
    let timed_out = call(&guard, request(port, Vec::new()), limits).await;
    assert!(
        matches!(timed_out, Err(CallFailure::TimedOut(_))),
        "{timed_out:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread")]
async fn its_own_address_lets_through_that_port_only() {
    let own = Counting::start(Counting::ok()).await;
    let other = Counting::start(Counting::ok()).await;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], own.port));
    let guard = Guard::new(Allowed::default())
        .expect("guard")
        .with_own(addr)
        .expect("with own");
    let answer = get(&guard, &format!("http://127.0.0.1:{}/demo", own.port))
        .await
        .expect("its own address is reached");
    assert_eq!(answer.status(), 200);
    let why = refused(get(&guard, &format!("http://127.0.0.1:{}/", other.port)).await);
    assert!(matches!(why, Refused::Address { .. }), "{why:?}");
    // Not by name either, nor redirected to from there.
    let why = refused(get(&guard, &format!("http://localhost:{}/", own.port)).await);
    assert!(matches!(why, Refused::Address { .. }), "{why:?}");
    assert_eq!((own.count(), other.count()), (1, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_with_secrets_follows_no_redirect_to_another_host() {
    let target = Counting::start(Counting::ok()).await;
    let to = format!("http://localhost:{}/", target.port);
    let jump = Counting::start(Counting::redirect(to)).await;
    let allowed = Allowed::parse("127.0.0.1 localhost").expect("allow");
    let guard = Guard::new(allowed).expect("guard");
    let url = format!("http://127.0.0.1:{}/", jump.port);
    // Without secrets the redirect to another allowed host is followed…
    assert_eq!(get(&guard, &url).await.expect("followed").status(), 200);
    assert_eq!(target.count(), 1);
    // …with them, it is not: the secrets never reach the other host.
    let why = refused(get(&guard.keeping_host(), &url).await);
    assert_eq!(why, Refused::SecretsElsewhere("localhost".into()));
    assert_eq!(target.count(), 1);
}
