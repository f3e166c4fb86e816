//! The dashboard.

use crate::error::AppError;
use leptos::prelude::*;
use switchyard_model::Member;
use switchyard_model::read_model::dashboard::Dashboard;

#[server(endpoint = "get_dashboard")]
pub async fn get_dashboard(
    org: String,
    #[server(default)] range: String,
) -> Result<(Member, Dashboard), AppError> {
    use switchyard::read_model::dashboard::dashboard;
    use switchyard_model::stats::Range;
    let (member, mut conn) = crate::state::member(&org).await?;
    let range = Range::parse_param(&range)?;
    let now = time::OffsetDateTime::now_utc();
    let dashboard = dashboard(&mut conn, &member, range, now).await?;
    Ok((member, dashboard))
}

/// A workflow's charts over a range (the default range when none is asked for).
#[server(endpoint = "get_workflow_charts")]
pub async fn get_workflow_charts(
    org: String,
    id: String,
    #[server(default)] range: String,
) -> Result<switchyard_model::read_model::health::WorkflowCharts, AppError> {
    use switchyard::read_model::health::workflow_charts;
    use switchyard_model::stats::Range;
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    let range = Range::parse_param(&range)?;
    let now = time::OffsetDateTime::now_utc();
    Ok(workflow_charts(&mut conn, &member, &id, range, now).await?)
}

/// Acknowledges a workflow's failure-rate alerts from the dashboard; the form comes back to it.
#[server(endpoint = "acknowledge_alert")]
pub async fn acknowledge_alert(org: String, workflow: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let workflow = switchyard_model::WorkflowId::from_path(&workflow)?;
    switchyard::alerts::acknowledge(&mut conn, &member, &workflow).await?;
    Ok(())
}
