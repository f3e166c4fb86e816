//! What a step does: create or change a Thing, or record an event. Each records the event its
//! change stands for, which may start other workflows.

use crate::db::Conn;
use crate::entity::EventSource;
use crate::id::{OrgId, random_base62};
use crate::schema::things;
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

/// Runs `action` with the resolved `input` for `org`. An `Err` is a message for people.
pub async fn perform(
    conn: &mut Conn,
    org: &OrgId,
    action: &str,
    input: &Map<String, Value>,
    trigger: &Trigger<'_>,
) -> Result<Done, String> {
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
                "The field type must be an event type like Deal.won, not {:?}",
                event_type
            ));
        }
        let data = input.get("data").cloned().unwrap_or_else(|| json!({}));
        let output = json!({ "type": event_type, "data": data });
        return Ok(Done {
            output,
            event: Some((event_type, data)),
        });
    }
    if verb == "create" {
        let id = format!("{}_{}", id_prefix(noun), random_base62(8));
        let data = Value::Object(input.clone());
        diesel::insert_into(things::table)
            .values((
                things::id.eq(&id),
                things::org_id.eq(org),
                things::type_.eq(noun),
                things::data.eq(&data),
            ))
            .execute(conn)
            .await
            .map_err(|e| format!("Could not save the new {noun}: {e}"))?;
        let mut output = input.clone();
        output.insert("$id".into(), json!(id));
        output.insert("$type".into(), json!(noun));
        let output = Value::Object(output);
        return Ok(Done {
            event: Some((format!("{noun}.created"), output.clone())),
            output,
        });
    }
    let id = match input.get("$id") {
        Some(id) => id.as_str(),
        None => trigger.names(noun),
    }
    .ok_or_else(|| format!("The field $id must say which {noun} to change"))?;
    let found: Option<Value> = things::table
        .filter(things::id.eq(id))
        .filter(things::org_id.eq(org))
        .filter(things::type_.eq(noun))
        .select(things::data)
        .first(conn)
        .await
        .optional()
        .map_err(|e| format!("Could not read {noun} {id}: {e}"))?;
    let Some(Value::Object(mut data)) = found else {
        return Err(format!("There is no {noun} {id}"));
    };
    for (k, v) in input.iter().filter(|(k, _)| k.as_str() != "$id") {
        data.insert(k.clone(), v.clone());
    }
    let data = Value::Object(data);
    diesel::update(
        things::table
            .filter(things::id.eq(id))
            .filter(things::org_id.eq(org)),
    )
    .set((
        things::data.eq(&data),
        things::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map_err(|e| format!("Could not save {noun} {id}: {e}"))?;
    let mut output = data.as_object().cloned().unwrap_or_default();
    output.insert("$id".into(), json!(id));
    output.insert("$type".into(), json!(noun));
    let output = Value::Object(output);
    let past = if verb == "update" {
        "updated".to_owned()
    } else {
        past_tense(verb)
    };
    Ok(Done {
        event: Some((format!("{noun}.{past}"), output.clone())),
        output,
    })
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
