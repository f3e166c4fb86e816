//! What a run would do, worked out without writing anything: each step's condition, its
//! mapping's values and the change its action would make, in plain words. The retry preview
//! and the dry run of the edit page both read it. Actions are described from the same
//! `Intent` the engine performs; Things are only read.

use super::action::{self, Intent, Trigger};
use super::plan::Plan;
use super::step::{resolve, truthy, work_out};
use crate::db::Conn;
use crate::definition::{ErrorHandling, Step};
use crate::error::DomainResult;
use crate::id::OrgId;
use crate::preview::{Effect, StepPreview};
use crate::repo::run_step::StoredStep;
use crate::run::StepStatus;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// How long a preview may spend working out expressions, all its steps together; past it,
/// the step in hand and the ones after it say that they could not be worked out in time.
pub const TIME_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs `work` (working out expressions, which may take up to the preview's time budget) off
/// the async runtime's own threads: the runtime's other tasks move to another thread
/// meanwhile. On a single-threaded runtime (some tests) it runs in place.
fn off_runtime<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Where a preview starts and what it knows of an earlier run.
pub(crate) struct Start<'a> {
    pub org: &'a OrgId,
    /// Steps before this one are reused from `earlier`.
    pub from: usize,
    /// The records of the run being repeated, if any.
    pub earlier: &'a [StoredStep],
}

/// Works out each step of `plan` from `start.from` on, reading Things but writing nothing.
pub(crate) async fn simulate(
    conn: &mut Conn,
    plan: &mut Plan,
    start: &Start<'_>,
) -> DomainResult<Vec<StepPreview>> {
    let steps = plan.fields.steps.clone();
    let mut made: HashMap<(String, String), Map<String, Value>> = HashMap::new();
    let mut outputs = Vec::new();
    let mut stopped_by: Option<usize> = None;
    let mut previews = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let earlier = start.earlier.iter().find(|s| s.idx == i as i32);
        let mut preview = StepPreview {
            index: i as i32,
            label: step.label().to_owned(),
            action: step.action.clone(),
            effect: Effect::NotReached,
            words: String::new(),
            condition: None,
            fields: Vec::new(),
        };
        let output = if i < start.from {
            preview.effect = Effect::Reused;
            preview.words = reused_words(earlier);
            earlier
                .and_then(|e| e.output.clone())
                .unwrap_or(Value::Null)
        } else if let Some(stopper) = stopped_by {
            preview.words = format!("Not run: step {} stops the run before it.", stopper + 1);
            Value::Null
        } else {
            let mut sim = Sim {
                conn: &mut *conn,
                step: i,
                plan,
                org: start.org,
                made: &mut made,
            };
            let (output, stops) = sim.step(step, &mut preview, earlier).await?;
            if stops {
                stopped_by = Some(i);
            }
            output
        };
        outputs.push(output);
        plan.context["step"] = Value::Array(outputs.clone());
        previews.push(preview);
    }
    Ok(previews)
}

/// One simulation's state: the plan, and the Things its creates would have made.
struct Sim<'a, 'c> {
    conn: &'c mut Conn,
    /// The step being worked out (0 for the first).
    step: usize,
    plan: &'a Plan,
    org: &'a OrgId,
    made: &'a mut HashMap<(String, String), Map<String, Value>>,
}

/// What a simulated action comes to.
enum Outcome {
    Done {
        effect: Effect,
        words: String,
        output: Value,
    },
    Failed(String),
}

impl Sim<'_, '_> {
    /// The step's preview and output; true when the run would end at it.
    async fn step(
        &mut self,
        step: &Step,
        preview: &mut StepPreview,
        earlier: Option<&StoredStep>,
    ) -> DomainResult<(Value, bool)> {
        if let Some(condition) = &step.condition {
            match off_runtime(|| work_out(&condition.0, self.plan)) {
                Ok(holds) if truthy(&holds) => preview.condition = Some(true),
                Ok(_) => {
                    preview.condition = Some(false);
                    preview.effect = Effect::Skipped;
                    preview.words = "Skipped: its condition does not hold.".into();
                    return Ok((Value::Null, false));
                }
                Err(e) => {
                    let message = format!("Its condition cannot be worked out: {e}");
                    return self.failed(step, preview, message).await;
                }
            }
        }
        if let Some(request) = step.http_request() {
            return match off_runtime(|| super::call::preview(self.plan, request, self.org)) {
                Ok(shown) => {
                    let (words, output) = call_words(&shown, earlier);
                    preview.effect = Effect::Calls {
                        host: crate::call_words::host(shown["url"].as_str().unwrap_or("")),
                    };
                    preview.words = words;
                    Ok((output, false))
                }
                Err(message) => self.failed(step, preview, message).await,
            };
        }
        let outcome = match off_runtime(|| resolve(&step.mapping, self.plan)) {
            Ok(input) => {
                preview.fields = input.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                self.act(&step.action, &input, earlier).await?
            }
            Err(message) => Outcome::Failed(message),
        };
        match outcome {
            Outcome::Done {
                effect,
                words,
                output,
            } => {
                preview.effect = effect;
                preview.words = words;
                Ok((output, false))
            }
            Outcome::Failed(message) => self.failed(step, preview, message).await,
        }
    }

    /// A step that would fail: the workflow's error handling says what follows.
    async fn failed(
        &mut self,
        step: &Step,
        preview: &mut StepPreview,
        message: String,
    ) -> DomainResult<(Value, bool)> {
        let handling = self.plan.fields.error_handling;
        if let (ErrorHandling::Fallback, Some(fallback)) = (handling, &step.fallback) {
            let recovered = match off_runtime(|| resolve(&fallback.mapping, self.plan)) {
                Ok(input) => self.act(&fallback.action, &input, None).await?,
                Err(m) => Outcome::Failed(m),
            };
            let name = &fallback.action;
            return Ok(match recovered {
                Outcome::Done { words, output, .. } => {
                    preview.effect = Effect::Recovered;
                    preview.words = format!(
                        "Would fail ({message}); its fallback {name} then runs in its place: {}",
                        lower_first(&words)
                    );
                    (output, false)
                }
                Outcome::Failed(fallback_error) => {
                    preview.effect = Effect::Fails { stops: true };
                    preview.words = format!(
                        "Would fail: {message}; its fallback {name} would fail too: {fallback_error}. The run would end Failed here."
                    );
                    (Value::Null, true)
                }
            });
        }
        let stops = handling != ErrorHandling::Continue;
        preview.effect = Effect::Fails { stops };
        preview.words = if stops {
            format!("Would fail: {message}. The run would end Failed here.")
        } else {
            format!("Would fail: {message}. The steps after it would still run.")
        };
        Ok((Value::Null, stops))
    }

    /// What `action` would do with `input`, read but not written.
    async fn act(
        &mut self,
        action_name: &str,
        input: &Map<String, Value>,
        earlier: Option<&StoredStep>,
    ) -> DomainResult<Outcome> {
        let event = &self.plan.context["event"];
        let trigger = Trigger {
            event_type: event["type"].as_str().unwrap_or_default(),
            data: &event["data"],
        };
        let intent = match action::intent(action_name, input, &trigger) {
            Ok(intent) => intent,
            Err(message) => return Ok(Outcome::Failed(message)),
        };
        Ok(match intent {
            Intent::Record { event_type, data } => Outcome::Done {
                words: format!("Records the event {event_type}, which may start other workflows."),
                output: serde_json::json!({ "type": event_type, "data": data }),
                effect: Effect::Records { event_type },
            },
            Intent::Create { noun } => {
                // What later steps see for the id a real run would give the new Thing.
                let id = format!("(the new {noun} of step {})", self.step + 1);
                self.made.insert((noun.clone(), id.clone()), input.clone());
                let article = if noun.starts_with(['A', 'E', 'I', 'O', 'U']) {
                    "an"
                } else {
                    "a"
                };
                let mut words = format!("Creates {article} {noun}{}", named(input));
                match made_before(earlier, &noun) {
                    Some(first) => words.push_str(&format!(
                        " again; the {noun} made by the first run ({first}) stays."
                    )),
                    None => words.push('.'),
                }
                Outcome::Done {
                    output: action::as_output(input.clone(), &noun, &id),
                    effect: Effect::Creates { noun },
                    words,
                }
            }
            Intent::Change { noun, id, .. } => {
                let key = (noun.clone(), id.clone());
                let data = match self.made.get(&key) {
                    Some(data) => Some(data.clone()),
                    None => action::find_thing(self.conn, self.org, &noun, &id)
                        .await
                        .unwrap_or(None),
                };
                let Some(data) = data else {
                    return Ok(Outcome::Failed(format!("There is no {noun} {id}")));
                };
                let data = action::merged(data, input);
                self.made.insert(key, data.clone());
                let set: Vec<&str> = input
                    .keys()
                    .map(String::as_str)
                    .filter(|k| *k != "$id")
                    .collect();
                let thing = match id.strip_prefix('(').and_then(|i| i.strip_suffix(')')) {
                    Some(new) => new.to_owned(),
                    None => format!("{noun} {id}"),
                };
                let words = if set.is_empty() {
                    format!("Changes {thing}.")
                } else {
                    format!("Changes {thing}: sets {}.", join_words(&set))
                };
                Outcome::Done {
                    output: action::as_output(data, &noun, &id),
                    effect: Effect::Changes { noun },
                    words,
                }
            }
        })
    }
}

/// What an HTTP step would send, in words, with what its last attempt got when the run being
/// repeated made one; and what later steps would read of its answer: the last one's, else an
/// empty answer.
fn call_words(shown: &Value, earlier: Option<&StoredStep>) -> (String, Value) {
    let mut words = format!(
        "Would send {}. A preview sends nothing.",
        crate::call_words::request_words(shown)
    );
    let last = earlier
        .and_then(|e| e.output.clone())
        .filter(|o| o.get("status").is_some());
    if let Some(answer) = &last {
        words.push_str(&format!(
            " The last attempt {}.",
            crate::call_words::got_words(answer)
        ));
    } else if let Some(error) = earlier.and_then(|e| e.error.as_deref()) {
        words.push_str(&format!(
            " The last attempt failed: {}",
            switchyard_model::read_model::dashboard::without_step(error)
        ));
    }
    let output =
        last.unwrap_or_else(|| serde_json::json!({"status": null, "headers": {}, "body": {}}));
    (words, output)
}

/// The effects a run's records show, step by step, for comparing with its preview: `steps`
/// are the workflow version's steps, `done` the run's records, `handling` its error handling.
pub fn recorded_effects(
    steps: &[Step],
    done: &[StoredStep],
    handling: ErrorHandling,
) -> Vec<Effect> {
    let mut stopped = false;
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let Some(record) = done.iter().find(|d| d.idx == i as i32) else {
                return Effect::NotReached;
            };
            if record.reused_from.is_some() {
                return Effect::Reused;
            }
            let effect = match record.status {
                StepStatus::Succeeded if step.http_request().is_some() => Effect::Calls {
                    host: record
                        .input
                        .as_ref()
                        .and_then(|i| i["url"].as_str())
                        .map(crate::call_words::host)
                        .unwrap_or_default(),
                },
                StepStatus::Succeeded => effect_of(&step.action, record.output.as_ref()),
                StepStatus::Recovered => Effect::Recovered,
                StepStatus::Failed => {
                    let stops = handling != ErrorHandling::Continue;
                    Effect::Fails { stops }
                }
                StepStatus::Skipped if stopped => Effect::NotReached,
                StepStatus::Skipped => Effect::Skipped,
                StepStatus::Pending | StepStatus::Running => Effect::NotReached,
            };
            if matches!(effect, Effect::Fails { stops: true }) {
                stopped = true;
            }
            effect
        })
        .collect()
}

/// The effect of a succeeded action from its output.
fn effect_of(action_name: &str, output: Option<&Value>) -> Effect {
    let (noun, verb) = action_name.split_once('.').unwrap_or((action_name, ""));
    match (noun, verb) {
        ("Event", "create") => Effect::Records {
            event_type: output
                .and_then(|o| o["type"].as_str())
                .unwrap_or_default()
                .to_owned(),
        },
        (noun, "create") => Effect::Creates { noun: noun.into() },
        (noun, _) => Effect::Changes { noun: noun.into() },
    }
}

/// The id of the Thing of type `noun` the earlier run's step made, if it made one.
fn made_before(earlier: Option<&StoredStep>, noun: &str) -> Option<String> {
    let earlier = earlier.filter(|e| e.status == StepStatus::Succeeded)?;
    let output = earlier.output.as_ref()?;
    (output["$type"] == noun)
        .then(|| output["$id"].as_str().map(str::to_owned))
        .flatten()
}

fn reused_words(earlier: Option<&StoredStep>) -> String {
    let thing = earlier.and_then(|e| e.output.as_ref()).and_then(|o| {
        Some(format!(
            " ({} {})",
            o["$type"].as_str()?,
            o["$id"].as_str()?
        ))
    });
    match earlier.map(|e| e.status) {
        Some(StepStatus::Skipped) => {
            "Not run again: it was skipped in the first run, and stays skipped.".into()
        }
        _ => format!(
            "Not run again: the first run's result{} is reused.",
            thing.unwrap_or_default()
        ),
    }
}

/// ` named "Globex"`, from the first of the fields people name things by.
fn named(input: &Map<String, Value>) -> String {
    ["name", "title", "subject", "email"]
        .iter()
        .find_map(|k| input.get(*k).and_then(Value::as_str))
        .filter(|v| !v.is_empty())
        .map(|v| format!(" named \u{201c}{v}\u{201d}"))
        .unwrap_or_default()
}

fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_joined_as_people_write_them() {
        assert_eq!(join_words(&["name"]), "name");
        assert_eq!(join_words(&["name", "email"]), "name and email");
        assert_eq!(join_words(&["a", "b", "c"]), "a, b and c");
        assert_eq!(lower_first("Creates a Task."), "creates a Task.");
    }

    #[test]
    fn a_failed_step_that_stops_the_run_leaves_the_later_ones_not_reached() {
        let step = |action: &str| Step {
            action: action.into(),
            ..Step::default()
        };
        let steps = [
            step("Customer.create"),
            step("Task.create"),
            step("Deal.win"),
        ];
        let record = |idx, status| StoredStep {
            idx,
            action: steps[idx as usize].action.clone(),
            status,
            input: None,
            output: None,
            error: None,
            attempts: 1,
            finished_at: None,
            reused_from: None,
        };
        let done = [
            record(0, StepStatus::Succeeded),
            record(1, StepStatus::Failed),
            record(2, StepStatus::Skipped),
        ];
        assert_eq!(
            recorded_effects(&steps, &done, ErrorHandling::Stop),
            [
                Effect::Creates {
                    noun: "Customer".into()
                },
                Effect::Fails { stops: true },
                Effect::NotReached
            ]
        );
        assert_eq!(
            recorded_effects(&steps, &done, ErrorHandling::Continue)[2],
            Effect::Skipped
        );
    }
}
