//! The run statistics' rollups, the failure groups, and acknowledged alerts.

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    run_stats (workflow_id, version, hour) {
        workflow_id -> Stored,
        version -> Int4,
        hour -> Timestamptz,
        org_id -> Stored,
        started -> Int8,
        succeeded -> Int8,
        failed -> Int8,
        timed_out -> Int8,
        cancelled -> Int8,
        duration_ms_sum -> Int8,
        durations -> Array<Int8>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    run_stats_org (org_id, hour) {
        org_id -> Stored,
        hour -> Timestamptz,
        started -> Int8,
        succeeded -> Int8,
        failed -> Int8,
        timed_out -> Int8,
        cancelled -> Int8,
        duration_ms_sum -> Int8,
        durations -> Array<Int8>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    run_stats_daily (workflow_id, version, day) {
        workflow_id -> Stored,
        version -> Int4,
        day -> Timestamptz,
        org_id -> Stored,
        started -> Int8,
        succeeded -> Int8,
        failed -> Int8,
        timed_out -> Int8,
        cancelled -> Int8,
        duration_ms_sum -> Int8,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    failure_groups (key) {
        key -> Text,
        org_id -> Stored,
        workflow_id -> Stored,
        step -> Int4,
        fingerprint -> Text,
        error -> Text,
        runs -> Int8,
        first_seen -> Timestamptz,
        last_seen -> Timestamptz,
        versions -> Array<Int4>,
        sample_run -> Stored,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    failure_group_hours (key, hour) {
        key -> Text,
        hour -> Timestamptz,
        org_id -> Stored,
        runs -> Int8,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    alert_acknowledgements (org_id, workflow_id) {
        org_id -> Stored,
        workflow_id -> Stored,
        through -> Timestamptz,
        acknowledged_by -> Text,
    }
}
