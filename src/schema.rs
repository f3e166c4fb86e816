//! Diesel's view of the tables in `migrations/`.

diesel::table! {
    organizations (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        created_at -> Timestamptz,
        failure_threshold -> Float8,
        time_zone -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    memberships (user_id, org_id) {
        user_id -> Text,
        org_id -> Text,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        data -> Jsonb,
        expires_at -> Timestamptz,
        user_id -> Nullable<Text>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        org_id -> Text,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> Nullable<Text>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
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
    workflows (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        description -> Text,
        trigger_event -> Text,
        steps -> Text,
        retry_policy -> Nullable<Text>,
        error_handling -> Text,
        timeout_ms -> Nullable<Int8>,
        status -> Text,
        version -> Int4,
        last_run_at -> Nullable<Timestamptz>,
        run_count -> Int8,
        success_count -> Int8,
        failure_count -> Int8,
        created_by -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        alerted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    workflow_versions (workflow_id, version) {
        workflow_id -> Text,
        version -> Int4,
        org_id -> Text,
        snapshot -> Jsonb,
        created_by -> Nullable<Text>,
        created_at -> Timestamptz,
        restored_from -> Nullable<Int4>,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        seq -> Int8,
        org_id -> Text,
        #[sql_name = "type"]
        type_ -> Text,
        data -> Jsonb,
        source -> Text,
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
    event_chains (root_event_id) {
        root_event_id -> Text,
        org_id -> Text,
        runs -> Int4,
    }
}

diesel::table! {
    runs (id) {
        id -> Text,
        org_id -> Text,
        workflow_id -> Text,
        workflow_version -> Int4,
        event_id -> Text,
        status -> Text,
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
        chain_root -> Nullable<Text>,
        events_recorded -> Int4,
        stalls -> Int4,
        notice -> Nullable<Text>,
        failure_group -> Nullable<Text>,
        retry_of -> Nullable<Text>,
        retry_from -> Nullable<Int4>,
        requested_by -> Nullable<Text>,
        cancel_requested_by -> Nullable<Text>,
        batch_id -> Nullable<Text>,
    }
}

diesel::table! {
    run_batches (id) {
        id -> Text,
        org_id -> Text,
        requested_by -> Text,
        retry_from -> Text,
        filter -> Text,
        request_key -> Text,
        total -> Int4,
        skipped -> Int4,
        created_at -> Timestamptz,
        cancel_requested_by -> Nullable<Text>,
    }
}

diesel::table! {
    run_outcomes (id) {
        id -> Int8,
        org_id -> Text,
        workflow_id -> Text,
        version -> Int4,
        hour -> Timestamptz,
        started -> Bool,
        outcome -> Nullable<Text>,
        duration_ms -> Nullable<Int8>,
        duration_bucket -> Nullable<Int2>,
        failure_group -> Nullable<Text>,
        failed_step -> Nullable<Int4>,
        fingerprint -> Nullable<Text>,
        error -> Nullable<Text>,
        run_id -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    run_stats (workflow_id, version, hour) {
        workflow_id -> Text,
        version -> Int4,
        hour -> Timestamptz,
        org_id -> Text,
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
    failure_groups (key) {
        key -> Text,
        org_id -> Text,
        workflow_id -> Text,
        step -> Int4,
        fingerprint -> Text,
        error -> Text,
        runs -> Int8,
        first_seen -> Timestamptz,
        last_seen -> Timestamptz,
        versions -> Array<Int4>,
        sample_run -> Text,
    }
}

diesel::table! {
    failure_group_hours (key, hour) {
        key -> Text,
        hour -> Timestamptz,
        org_id -> Text,
        runs -> Int8,
    }
}

diesel::table! {
    run_steps (run_id, idx) {
        run_id -> Text,
        idx -> Int4,
        org_id -> Text,
        action -> Text,
        status -> Text,
        input -> Nullable<Jsonb>,
        output -> Nullable<Jsonb>,
        error -> Nullable<Text>,
        attempts -> Int4,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        reused_from -> Nullable<Text>,
    }
}

diesel::table! {
    things (id) {
        id -> Text,
        org_id -> Text,
        #[sql_name = "type"]
        type_ -> Text,
        data -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        prefix -> Text,
        hash -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        scopes -> Array<Text>,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> organizations (org_id));
diesel::joinable!(invitations -> organizations (org_id));
diesel::joinable!(workflows -> organizations (org_id));
diesel::joinable!(api_keys -> organizations (org_id));
diesel::joinable!(runs -> workflows (workflow_id));

diesel::table! {
    run_stats_org (org_id, hour) {
        org_id -> Text,
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
    run_stats_daily (workflow_id, version, day) {
        workflow_id -> Text,
        version -> Int4,
        day -> Timestamptz,
        org_id -> Text,
        started -> Int8,
        succeeded -> Int8,
        failed -> Int8,
        timed_out -> Int8,
        cancelled -> Int8,
        duration_ms_sum -> Int8,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    run_stats_org,
    run_stats_daily,
    run_batches,
    organizations,
    users,
    memberships,
    sessions,
    invitations,
    sign_in_failures,
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
