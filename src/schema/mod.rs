//! Diesel's view of the tables in `migrations/`. A column holding one of the model's values
//! (an id, a status, a definition) is `Stored` (`sql_text`); free text is `Text`.
//! The tables are declared by concern in the modules below and used as `crate::schema::name`.

mod outbound;
mod people;
mod rollups;
mod run_tables;
mod workflow_tables;

pub use outbound::*;
pub use people::*;
pub use rollups::*;
pub use run_tables::*;
pub use workflow_tables::*;

diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> organizations (org_id));
diesel::joinable!(invitations -> organizations (org_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(workflows -> organizations (org_id));
diesel::joinable!(api_keys -> organizations (org_id));
diesel::joinable!(runs -> workflows (workflow_id));

diesel::allow_tables_to_appear_in_same_query!(
    alert_acknowledgements,
    secrets,
    run_stats_org,
    run_stats_daily,
    run_batches,
    organizations,
    users,
    memberships,
    sessions,
    invitations,
    password_resets,
    sign_in_failures,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    alert_rules,
    alert_emails,
    workflows,
    workflow_versions,
    events,
    event_chains,
    api_keys,
    runs,
    run_steps,
    things,
    run_outcomes,
    run_stats,
    failure_groups,
    failure_group_hours,
);
