//! Organizations, their people and how they sign in: accounts, memberships, sessions,
//! invitations, password resets, failed sign-ins and API keys.

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
