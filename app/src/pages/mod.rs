//! One file per route.

pub mod account;
pub mod audit;
pub mod dashboard;
pub mod endpoint;
pub mod events;
pub mod invite;
pub mod login;
pub mod logout;
pub mod not_found;
pub mod orgs;
pub mod reset;
pub mod run_filters;
pub mod run_list;
pub mod runs;
pub mod settings;
pub mod versions;
pub mod workflow_charts;
pub mod workflow_detail;
pub mod workflow_form;
pub mod workflow_list;

use crate::error::AppError;
use leptos::prelude::*;

/// Sets the response's status code while rendering on the server (404 for a missing page).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        res.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// The view of an error that ends a page: not found, sign in, or the message.
pub fn error_view(err: AppError) -> AnyView {
    match err {
        AppError::NotFound => view! { <not_found::NotFoundBody /> }.into_any(),
        AppError::Unauthorized => {
            set_status(401);
            view! { <p>"Please " <a href="/login">"sign in"</a> " to continue."</p> }.into_any()
        }
        AppError::Forbidden => {
            set_status(403);
            view! { <p class="problem" role="alert">{AppError::Forbidden.to_string()}</p> }
                .into_any()
        }
        other => view! { <p class="error" role="alert">{other.to_string()}</p> }.into_any(),
    }
}
