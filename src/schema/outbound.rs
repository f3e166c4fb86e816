//! What reaches outside: secrets, webhook endpoints, their deliveries and attempts, and
//! who alerts are emailed to.

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
