//! A workflow's versions: who saved each, when, and what changed, in a line; and any two side
//! by side in plain words (fields, and steps as the editor shows them, never JSON).

pub use switchyard_model::read_model::versions::*;

use crate::workflow::WorkflowFields;
use {
    crate::db::Conn, crate::entity::Actor, crate::error::DomainResult, crate::id::WorkflowId,
    crate::repo,
};

/// A page of the versions of a workflow of the actor's organization (those older than
/// `before`, when given, `PAGE` at most), and two of them side by side when `compare` names
/// them. Only the snapshots the page and the comparison show are read.
pub async fn versions(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &WorkflowId,
    compare_versions: Option<(i32, i32)>,
    before: Option<i32>,
) -> DomainResult<Versions> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let workflow = repo::workflow::get(conn, org, id).await?;
    let (_, time_zone) = repo::org::preferences(conn, org).await?;
    let local = crate::timefmt::Local::new(&time_zone, time::OffsetDateTime::now_utc());
    let mut history = repo::workflow::version_history(conn, org, id).await?;
    history.reverse();
    let start = before.map_or(0, |b| history.partition_point(|v| v.version >= b));
    let page = &history[start..(start + PAGE).min(history.len())];
    // Each row's summary compares it with the version saved before it.
    let mut wanted: Vec<i32> = page.iter().map(|v| v.version).collect();
    wanted.extend(history.get(start + page.len()).map(|v| v.version));
    wanted.extend(compare_versions.into_iter().flat_map(|(a, b)| [a, b]));
    let fields: std::collections::HashMap<i32, WorkflowFields> =
        repo::workflow::fields_at_many(conn, org, id, &wanted)
            .await?
            .into_iter()
            .collect();
    let rows = page
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let previous = history.get(start + i + 1).map(|p| p.version);
            let summary = match (v.restored_from, previous) {
                (Some(from), _) => format!("Restored version {from}"),
                (None, None) => "Created".to_owned(),
                (None, Some(p)) => match (fields.get(&p), fields.get(&v.version)) {
                    (Some(a), Some(b)) => self::summary(a, b),
                    _ => String::new(),
                },
            };
            VersionRow {
                version: v.version,
                saved: crate::timefmt::moment(v.created_at, &local),
                by: v.created_by.clone(),
                summary,
                current: v.version == workflow.version,
            }
        })
        .collect();
    let find = |version: i32| {
        fields
            .get(&version)
            .map(|f| (version, f))
            .ok_or(crate::error::DomainError::NotFound)
    };
    let comparison = match compare_versions {
        Some((a, b)) => Some(compare(find(a)?, find(b)?)),
        None => None,
    };
    let older = history
        .get(start + PAGE)
        .and(page.last())
        .map(|v| v.version);
    let newer = (start > 0).then(|| {
        let newer_start = start.saturating_sub(PAGE);
        (newer_start > 0).then(|| history[newer_start - 1].version)
    });
    Ok(Versions {
        may_restore: crate::verbs::allowed(actor, &workflow).contains(&crate::Verb::Update),
        workflow,
        versions: rows,
        total: history.len(),
        older,
        newer,
        comparison,
    })
}
