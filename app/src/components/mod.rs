//! Pieces shared by pages.

pub mod call;
pub mod chart;
pub mod edit_in_place;
pub mod field;
pub mod format;
pub mod layout;
pub mod live;
pub mod request_form;
pub mod sample;
pub mod steps_editor;
pub mod value;
