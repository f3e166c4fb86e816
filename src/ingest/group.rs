//! Group commit for events sent through the API: the events sent while a transaction commits
//! wait for the next one, which records them all, each in a savepoint of its own (one event
//! that fails is rolled back alone and answered with its error), and commits once. Each sender
//! is answered only after that commit, so an acknowledged event is durable, as with one
//! transaction an event. The rules are `ingest`'s: the same validation, idempotency keys and
//! runs queued.

use super::{Accepted, PostedEvent, ingest_in, sent_event};
use crate::db::Pool;
use crate::error::{DomainError, DomainResult};
use crate::id::OrgId;
use crate::repo::event::NewEvent;
use diesel_async::AsyncConnection;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// An event waiting for its transaction.
struct Job {
    org: OrgId,
    event: NewEvent,
    answer: oneshot::Sender<DomainResult<Accepted>>,
}

/// The committers of one process: send events through `send`; cheap to clone.
#[derive(Clone)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts `committers` tasks taking connections from `pool`, each committing up to `batch`
    /// events a transaction. Two committers let one transaction fill while the other commits.
    pub fn start(pool: Pool, committers: usize, batch: usize) -> GroupCommit {
        let (jobs, queue) = mpsc::channel::<Job>(batch.max(1) * committers.max(1) * 4);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..committers.max(1) {
            tokio::spawn(commit_loop(pool.clone(), queue.clone(), batch.max(1)));
        }
        GroupCommit { jobs }
    }

    /// An event sent by `actor` through the API: checked, recorded and its runs queued like
    /// `ingest::send`, in the next group's transaction. Answers once that has committed.
    pub async fn send(
        &self,
        actor: &impl crate::entity::Actor,
        posted: &PostedEvent,
    ) -> DomainResult<Accepted> {
        let event = sent_event(actor, posted)?;
        let (answer, answered) = oneshot::channel();
        let job = Job {
            org: actor.org().id.clone(),
            event,
            answer,
        };
        let gone = || DomainError::internal("the event committer stopped");
        self.jobs.send(job).await.map_err(|_| gone())?;
        answered.await.map_err(|_| gone())?
    }
}

/// Takes what is waiting (at least one event, at most `batch`) and commits it, for ever.
async fn commit_loop(pool: Pool, queue: Arc<Mutex<mpsc::Receiver<Job>>>, batch: usize) {
    loop {
        let mut jobs = Vec::with_capacity(batch);
        {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            jobs.push(first);
            while jobs.len() < batch {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
        }
        commit(&pool, jobs).await;
    }
}

/// One transaction for `jobs`, each in its savepoint; answers each after the commit.
async fn commit(pool: &Pool, jobs: Vec<Job>) {
    let outcome = async {
        let mut conn = pool
            .get()
            .await
            .map_err(|e| DomainError::caused_by("no database connection for events", e))?;
        conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
            let mut answers = Vec::with_capacity(jobs.len());
            for job in &jobs {
                let answer = conn
                    .transaction::<_, crate::store_error::StoreError, _>(async |conn| {
                        ingest_in(conn, &job.org, &job.event).await
                    })
                    .await;
                answers.push(answer);
            }
            Ok(answers)
        })
        .await
        .map_err(DomainError::from)
    }
    .await;
    match outcome {
        Ok(answers) => {
            for (job, answer) in jobs.into_iter().zip(answers) {
                let _ = job.answer.send(answer.map_err(Into::into));
            }
        }
        // Nothing was committed: every sender hears why.
        Err(error) => {
            for job in jobs {
                let _ = job.answer.send(Err(error.clone()));
            }
        }
    }
}
