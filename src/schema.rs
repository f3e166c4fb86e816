//! Diesel's view of the tables in `migrations/`. A column holding one of the model's values
//! (an id, a status, a definition) is `Stored` (`sql_text`); free text is `Text`.

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    organizations (id) {
        id -> Stored,
        slug -> Text,
        name -> Text,
        created_at -> Timestamptz,
        failure_threshold -> Float8,
        time_zone -> Text,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    users (id) {
        id -> Stored,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    memberships (user_id, org_id) {
        user_id -> Stored,
        org_id -> Stored,
        role -> Stored,
        created_at -> Timestamptz,
        alert_emails -> Bool,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    sessions (id) {
        id -> Stored,
        data -> Jsonb,
        expires_at -> Timestamptz,
        user_id -> Nullable<Stored>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    invitations (id) {
        id -> Stored,
        org_id -> Stored,
        email -> Text,
        role -> Stored,
        token_hash -> Text,
        invited_by -> Nullable<Stored>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    password_resets (token_hash) {
        token_hash -> Text,
        user_id -> Stored,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sign_in_failures (email, failed_at) {
        email -> Text,
        failed_at -> Timestamptz,
        address -> Nullable<Text>,
    }
}

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

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    api_keys (id) {
        id -> Stored,
        org_id -> Stored,
        name -> Text,
        prefix -> Text,
        hash -> Text,
        created_by -> Nullable<Stored>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        scopes -> Array<Stored>,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    webhook_endpoints (id) {
        id -> Stored,
        org_id -> Stored,
        url -> Text,
        description -> Text,
        events -> Array<Text>,
        nonce -> Bytea,
        ciphertext -> Bytea,
        key_id -> Text,
        previous_nonce -> Nullable<Bytea>,
        previous_ciphertext -> Nullable<Bytea>,
        previous_key_id -> Nullable<Text>,
        previous_until -> Nullable<Timestamptz>,
        disabled_at -> Nullable<Timestamptz>,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamptz>,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    webhook_deliveries (id) {
        id -> Stored,
        org_id -> Stored,
        endpoint_id -> Stored,
        event_id -> Nullable<Stored>,
        event_type -> Text,
        payload -> Jsonb,
        status -> Text,
        tries -> Int4,
        next_at -> Nullable<Timestamptz>,
        lease_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    webhook_attempts (delivery_id, n) {
        delivery_id -> Stored,
        n -> Int4,
        at -> Timestamptz,
        status -> Nullable<Int4>,
        duration_ms -> Int4,
        answer -> Text,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    alert_rules (org_id, kind) {
        org_id -> Stored,
        kind -> Text,
        email_to -> Array<Text>,
        quiet_minutes -> Int4,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    alert_emails (org_id, kind, subject) {
        org_id -> Stored,
        kind -> Text,
        subject -> Text,
        sent_at -> Timestamptz,
    }
}

diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> organizations (org_id));
diesel::joinable!(invitations -> organizations (org_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(workflows -> organizations (org_id));
diesel::joinable!(api_keys -> organizations (org_id));
diesel::joinable!(runs -> workflows (workflow_id));

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

    alert_acknowledgements (org_id, workflow_id) {
        org_id -> Stored,
        workflow_id -> Stored,
        through -> Timestamptz,
        acknowledged_by -> Text,
    }
}

diesel::table! {
    use crate::sql_text::Stored;
    use diesel::sql_types::*;

    secrets (org_id, name) {
        org_id -> Stored,
        name -> Text,
        nonce -> Bytea,
        ciphertext -> Bytea,
        key_id -> Text,
        hosts -> Array<Text>,
        set_by -> Text,
        set_at -> Timestamptz,
    }
}

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
