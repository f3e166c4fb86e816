//! Fixing what failed: where a retry begins and what it would do (the types the pages, REST and
//! MCP show), retrying one run and cancelling it (`run`), and bulk retries of a filtered list
//! (`batch`). The dry run of a workflow is the engine's (`engine::dry_run`).

mod batch;
mod run;
pub use batch::{batch, bulk_preview, cancel_batch, retry_bulk};
pub(crate) use run::options;
pub use run::{cancel, preview, retry};

pub use switchyard_model::retry::*;
