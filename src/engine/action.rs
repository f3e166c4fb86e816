//! What a step does: create or change a Thing, or record an event. Each records the event its
//! change stands for, which may start other workflows.

use crate::blame::the_field;
use crate::db::Conn;
use crate::entity::EventSource;
use crate::id::{OrgId, random_base62};
use crate::schema::things;
use crate::sql_text::Sql;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Map, Value, json};

/// `Contact.assign` -> `assigned`, `Deal.win` -> `won`: the verb's past tense for its event.
pub fn past_tense(verb: &str) -> String {
    const IRREGULAR: [(&str, &str); 10] = [
        ("win", "won"),
        ("send", "sent"),
        ("pay", "paid"),
        ("make", "made"),
        ("begin", "begun"),
        ("lose", "lost"),
        ("buy", "bought"),
        ("sell", "sold"),
        ("close", "closed"),
        ("set", "set"),
    ];
    if let Some((_, past)) = IRREGULAR.iter().find(|(v, _)| *v == verb) {
        return (*past).to_owned();
    }
    if verb.ends_with('e') {
        format!("{verb}d")
    } else if let Some(stem) = verb
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'i', 'o', 'u']))
    {
        format!("{stem}ied")
    } else {
        format!("{verb}ed")
    }
}

/// The noun's id prefix: `Customer` -> `customer`, `FeatureFlag` -> `featureflag`.
fn id_prefix(noun: &str) -> String {
    noun.to_lowercase()
}

/// What an action did: its output for later steps, and the event it records.
pub struct Done {
    pub output: Value,
    pub event: Option<(String, Value)>,
}

/// The run's trigger event, for actions on a Thing whose mapping does not name it.
pub struct Trigger<'a> {
    pub event_type: &'a str,
    pub data: &'a Value,
}

impl Trigger<'_> {
    /// The Thing of type `noun` the event names: the event's own Thing when its noun is
    /// `noun` (`Contact.assign` on `Contact.created`), else the one its data holds under the
    /// noun's lower camel case name (`lead.contact` for `Contact.assign` on `Lead.created`).
    fn names(&self, noun: &str) -> Option<&str> {
        let own = self.event_type.split('.').next() == Some(noun);
        let found = if own {
            self.data.get("$id")
        } else {
            self.data.get(crate::mapping::root_for_trigger(noun))
        }?;
        match found {
            Value::String(id) => Some(id),
            Value::Object(thing) => thing.get("$id").and_then(Value::as_str),
            _ => None,
        }
    }
}

/// What an action will do, worked out from its name, its input and the trigger before
/// anything is written: the engine then does it, a preview only describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// `Event.create`: records an event of this type with this data.
    Record { event_type: String, data: Value },
    /// `<Noun>.create`: makes a new Thing of this type from the input.
    Create { noun: String },
    /// Any other verb: merges the input into the Thing `id` and records `<Noun>.<past>`.
    Change {
        noun: String,
        id: String,
        event: String,
    },
}

/// Works out what `action` means for this `input`; an `Err` is a message for people.
pub fn intent(
    action: &str,
    input: &Map<String, Value>,
    trigger: &Trigger<'_>,
) -> Result<Intent, String> {
    let (noun, verb) = action
        .split_once('.')
        .ok_or_else(|| format!("`{action}` is not an action"))?;
    if noun == "Event" && verb == "create" {
        let event_type = input
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !crate::workflow::is_event_type(&event_type) {
            return Err(format!(
                "{} must be an event type like Deal.won, not {:?}",
                the_field("type"),
                event_type
            ));
        }
        if let Some(reserved) = crate::workflow::reserved_event(&event_type) {
            return Err(format!("{} is {event_type}: {reserved}", the_field("type")));
        }
        let data = input.get("data").cloned().unwrap_or_else(|| json!({}));
        return Ok(Intent::Record { event_type, data });
    }
    if let Some(noun) = crate::workflow::server_noun(noun) {
        return Err(format!(
            "{noun} is kept by Switchyard itself: a step cannot create or change one"
        ));
    }
    if verb == "create" {
        return Ok(Intent::Create { noun: noun.into() });
    }
    let id = match input.get("$id") {
        Some(id) => id.as_str(),
        None => trigger.names(noun),
    }
    .ok_or_else(|| format!("{} must say which {noun} to change", the_field("$id")))?;
    let past = if verb == "update" {
        "updated".to_owned()
    } else {
        past_tense(verb)
    };
    Ok(Intent::Change {
        noun: noun.into(),
        id: id.into(),
        event: format!("{noun}.{past}"),
    })
}

/// A Thing as a step's output: its fields with `$id` and `$type`.
pub(crate) fn as_output(mut data: Map<String, Value>, noun: &str, id: &str) -> Value {
    data.insert("$id".into(), json!(id));
    data.insert("$type".into(), json!(noun));
    Value::Object(data)
}

/// `data` with the input's fields (but `$id`) merged in.
pub(crate) fn merged(
    mut data: Map<String, Value>,
    input: &Map<String, Value>,
) -> Map<String, Value> {
    for (k, v) in input.iter().filter(|(k, _)| k.as_str() != "$id") {
        data.insert(k.clone(), v.clone());
    }
    data
}

/// The data of the Thing `id` of type `noun` in `org`, if there is one. Only reads.
pub(crate) async fn find_thing(
    conn: &mut Conn,
    org: &OrgId,
    noun: &str,
    id: &str,
) -> Result<Option<Map<String, Value>>, String> {
    let found: Option<Value> = things::table
        .filter(things::id.eq(id.sql()))
        .filter(things::org_id.eq(org.sql()))
        .filter(things::type_.eq(noun))
        .select(things::data)
        .first(conn)
        .await
        .optional()
        .map_err(|e| format!("Could not read {noun} {id}: {e}"))?;
    Ok(match found {
        Some(Value::Object(data)) => Some(data),
        _ => None,
    })
}

/// Runs `action` with the resolved `input` for `org`. An `Err` is a message for people.
pub async fn perform(
    conn: &mut Conn,
    org: &OrgId,
    action: &str,
    input: &Map<String, Value>,
    trigger: &Trigger<'_>,
) -> Result<Done, String> {
    match intent(action, input, trigger)? {
        Intent::Record { event_type, data } => Ok(Done {
            output: json!({ "type": event_type, "data": data }),
            event: Some((event_type, data)),
        }),
        Intent::Create { noun } => {
            let id = format!("{}_{}", id_prefix(&noun), random_base62(8));
            let data = Value::Object(input.clone());
            diesel::insert_into(things::table)
                .values((
                    things::id.eq(id.sql()),
                    things::org_id.eq(org.sql()),
                    things::type_.eq(&noun),
                    things::data.eq(&data),
                ))
                .execute(conn)
                .await
                .map_err(|e| format!("Could not save the new {noun}: {e}"))?;
            let output = as_output(input.clone(), &noun, &id);
            Ok(Done {
                event: Some((format!("{noun}.created"), output.clone())),
                output,
            })
        }
        Intent::Change { noun, id, event } => {
            let Some(data) = find_thing(conn, org, &noun, &id).await? else {
                return Err(format!("There is no {noun} {id}"));
            };
            let data = merged(data, input);
            diesel::update(
                things::table
                    .filter(things::id.eq(id.sql()))
                    .filter(things::org_id.eq(org.sql())),
            )
            .set((
                things::data.eq(Value::Object(data.clone())),
                things::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await
            .map_err(|e| format!("Could not save {noun} {id}: {e}"))?;
            let output = as_output(data, &noun, &id);
            Ok(Done {
                event: Some((event, output.clone())),
                output,
            })
        }
    }
}

/// The source steps' events are recorded with.
pub const SOURCE: EventSource = EventSource::Step;

#[cfg(test)]
mod tests {
    use super::past_tense;

    #[test]
    fn verbs_take_their_past_tense() {
        for (verb, past) in [
            ("assign", "assigned"),
            ("win", "won"),
            ("create", "created"),
            ("qualify", "qualified"),
            ("pay", "paid"),
            ("toggle", "toggled"),
            ("delay", "delayed"),
        ] {
            assert_eq!(past_tense(verb), past);
        }
    }
}
