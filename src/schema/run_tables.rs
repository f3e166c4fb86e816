//! Runs, their batches and steps, and the outcomes the statistics fold.

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    runs (id) {
        id -> Stored,
        org_id -> Stored,
        workflow_id -> Stored,
        workflow_version -> Int4,
        event_id -> Stored,
        status -> Stored,
        next_step -> Int4,
        run_at -> Timestamptz,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamptz>,
        fence -> Int8,
        error -> Nullable<Text>,
        failed_step -> Nullable<Int4>,
        queued_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        attempt -> Int4,
        depth -> Int4,
        chain_root -> Nullable<Stored>,
        events_recorded -> Int4,
        stalls -> Int4,
        notice -> Nullable<Text>,
        failure_group -> Nullable<Text>,
        retry_of -> Nullable<Stored>,
        retry_from -> Nullable<Int4>,
        requested_by -> Nullable<Stored>,
        cancel_requested_by -> Nullable<Stored>,
        batch_id -> Nullable<Stored>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    run_batches (id) {
        id -> Stored,
        org_id -> Stored,
        requested_by -> Stored,
        retry_from -> Text,
        filter -> Text,
        request_key -> Text,
        total -> Int4,
        skipped -> Int4,
        created_at -> Timestamptz,
        cancel_requested_by -> Nullable<Stored>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    run_outcomes (id) {
        id -> Int8,
        org_id -> Stored,
        workflow_id -> Stored,
        version -> Int4,
        hour -> Timestamptz,
        started -> Bool,
        outcome -> Nullable<Stored>,
        duration_ms -> Nullable<Int8>,
        duration_bucket -> Nullable<Int2>,
        failure_group -> Nullable<Text>,
        failed_step -> Nullable<Int4>,
        fingerprint -> Nullable<Text>,
        error -> Nullable<Text>,
        run_id -> Nullable<Stored>,
        at -> Timestamptz,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    run_steps (run_id, idx) {
        run_id -> Stored,
        idx -> Int4,
        org_id -> Stored,
        action -> Text,
        status -> Stored,
        input -> Nullable<Jsonb>,
        output -> Nullable<Jsonb>,
        error -> Nullable<Text>,
        attempts -> Int4,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        reused_from -> Nullable<Stored>,
    }
}
