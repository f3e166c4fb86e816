//! Workflows, their versions, the event log and its chains, and the records steps make.

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    workflows (id) {
        id -> Stored,
        org_id -> Stored,
        name -> Text,
        description -> Text,
        trigger_event -> Text,
        steps -> Stored,
        retry_policy -> Nullable<Stored>,
        error_handling -> Stored,
        timeout_ms -> Nullable<Int8>,
        status -> Stored,
        version -> Int4,
        last_run_at -> Nullable<Timestamptz>,
        run_count -> Int8,
        success_count -> Int8,
        failure_count -> Int8,
        created_by -> Nullable<Stored>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        alerted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    workflow_versions (workflow_id, version) {
        workflow_id -> Stored,
        version -> Int4,
        org_id -> Stored,
        snapshot -> Jsonb,
        created_by -> Nullable<Stored>,
        created_at -> Timestamptz,
        restored_from -> Nullable<Int4>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    events (id) {
        id -> Stored,
        seq -> Int8,
        org_id -> Stored,
        #[sql_name = "type"]
        type_ -> Text,
        data -> Jsonb,
        source -> Stored,
        actor -> Nullable<Text>,
        subject -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        depth -> Int4,
        created_at -> Timestamptz,
        ignored_by -> Jsonb,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    event_chains (root_event_id) {
        root_event_id -> Stored,
        org_id -> Stored,
        runs -> Int4,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    things (id) {
        id -> Stored,
        org_id -> Stored,
        #[sql_name = "type"]
        type_ -> Text,
        data -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}
