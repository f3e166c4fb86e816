//! Sample event data as a form of its fields (`model::sample`): each field of the data with its
//! value, and an empty row to add one. Posted as `{name}[i][path]` and `{name}[i][value]`.

use crate::components::field::TextField;
use leptos::prelude::*;
use switchyard_model::sample::{SampleField, fields_of};

/// The form of `data` (JSON text; anything else shows no field): `name` is what the fields are
/// posted as, `title` the legend, `error` the message about the whole sample.
#[component]
pub fn SampleFields(
    #[prop(into)] name: String,
    #[prop(into)] title: String,
    data: String,
    error: Option<String>,
) -> impl IntoView {
    let fields = serde_json::from_str::<serde_json::Value>(&data)
        .map(|v| fields_of(&v))
        .unwrap_or_default();
    let count = fields.len();
    let rows = fields
        .into_iter()
        .chain(std::iter::once(SampleField::default()))
        .enumerate()
        .map(|(i, field)| {
            let id = format!("{name}-{i}");
            let path_name = format!("{name}[{i}][path]");
            let value_name = format!("{name}[{i}][value]");
            if i == count {
                view! {
                    <div class="mapping-row">
                        <TextField id=format!("{id}-path") name=path_name label="Add a field" value=""
                            placeholder="contact.name" error=None />
                        <TextField id=format!("{id}-value") name=value_name label="Its value" value="" error=None />
                    </div>
                }
                .into_any()
            } else {
                view! {
                    <div class="sample-row">
                        <input type="hidden" name=path_name value=field.path.clone() />
                        <TextField id=format!("{id}-value") name=value_name label=field.path value=field.value error=None />
                    </div>
                }
                .into_any()
            }
        })
        .collect_view();
    view! {
        <fieldset class="sample-fields" id=name.clone()>
            <legend>{title}</legend>
            <p class="hint">"Numbers, true and false are read as such; anything else as text. Empty a value to send it empty."</p>
            {error.map(|m| view! { <p class="field-error" id=format!("{name}-error") role="alert">{m}</p> })}
            <div class="sample-grid">{rows}</div>
        </fieldset>
    }
}
