//! BEFORE and AFTER hooks around every verb. BEFORE hooks may veto with a message the user
//! sees verbatim; AFTER hooks get a context (`$` in the spec) through which they record events.
//! Both run inside the verb's transaction.

use crate::entity::Workflow;
use crate::status::Verb;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The spec's alert: a workflow fails more often than its organization's threshold.
pub const HIGH_FAILURE_RATE: &str = "workflow.high_failure_rate";

/// Says no with a message, or lets the verb go on.
pub type BeforeHook = Arc<dyn Fn(&Workflow) -> Result<(), String> + Send + Sync>;
/// Sees the changed workflow and may record events through the context.
pub type AfterHook = Arc<dyn Fn(&Workflow, &mut HookContext) + Send + Sync>;

/// What an AFTER hook can do: the spec's `$`.
#[derive(Debug, Default)]
pub struct HookContext {
    pub(crate) events: Vec<(String, Value)>,
}

impl HookContext {
    /// `$.Event.create({type, data})`: recorded in the verb's transaction.
    pub fn create_event(&mut self, event_type: &str, data: Value) {
        self.events.push((event_type.to_owned(), data));
    }
}

/// The hooks registered for each verb, run in registration order.
#[derive(Clone, Default)]
pub struct Hooks {
    before: HashMap<Verb, Vec<BeforeHook>>,
    after: HashMap<Verb, Vec<AfterHook>>,
}

impl Hooks {
    /// No hooks at all.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The spec's hooks: activation checks and `workflow.activated`. The spec's
    /// `workflow.high_failure_rate` is raised by the engine when any run starts (with the
    /// organization's threshold, at most hourly), the trigger verb's runs included.
    pub fn with_defaults() -> Self {
        let mut hooks = Self::empty();
        hooks.before(Verb::Activate, |w| {
            if w.trigger_event.trim().is_empty() {
                return Err("Trigger event must be defined before activation".into());
            }
            if w.step_count() == 0 {
                return Err("At least one step is required".into());
            }
            Ok(())
        });
        hooks.after(Verb::Activate, |w, ctx| {
            ctx.create_event(
                "workflow.activated",
                json!({ "workflow": w.id, "triggerEvent": w.trigger_event, "version": w.version }),
            );
        });
        hooks
    }

    /// Registers a BEFORE hook (`Workflow.activating(...)`).
    pub fn before(
        &mut self,
        verb: Verb,
        hook: impl Fn(&Workflow) -> Result<(), String> + Send + Sync + 'static,
    ) {
        self.before.entry(verb).or_default().push(Arc::new(hook));
    }

    /// Registers an AFTER hook (`Workflow.activated(...)`).
    pub fn after(
        &mut self,
        verb: Verb,
        hook: impl Fn(&Workflow, &mut HookContext) + Send + Sync + 'static,
    ) {
        self.after.entry(verb).or_default().push(Arc::new(hook));
    }

    /// Runs the BEFORE hooks; the first veto wins.
    pub(crate) fn run_before(&self, verb: Verb, workflow: &Workflow) -> Result<(), String> {
        self.before
            .get(&verb)
            .into_iter()
            .flatten()
            .try_for_each(|hook| hook(workflow))
    }

    /// Runs the AFTER hooks and returns the events they asked for.
    pub(crate) fn run_after(&self, verb: Verb, workflow: &Workflow) -> Vec<(String, Value)> {
        let mut ctx = HookContext::default();
        for hook in self.after.get(&verb).into_iter().flatten() {
            hook(workflow, &mut ctx);
        }
        ctx.events
    }
}
