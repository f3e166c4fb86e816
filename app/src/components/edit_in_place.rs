//! The workflow editor's island. Without JavaScript, each of the editor's buttons (add, remove
//! or move a step or a field; the preview) posts the form, and the page comes back at the step it
//! changed. With JavaScript, `EditInPlace` posts the same form in the background and puts the
//! editor the server sends back in place of this one: the page does not reload, its address does
//! not change, and focus goes to what the button added or moved. The server keeps doing the
//! work, so both ways behave the same. It also asks before the page is left with changes that
//! are not saved.

use leptos::prelude::*;

/// The id of the element holding the form and its problems, which `EditInPlace` replaces.
pub const EDITOR_ID: &str = "workflow-editor";

/// Makes the workflow editor's buttons work in place, and guards unsaved changes.
#[island]
pub fn EditInPlace() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    browser::start();
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::EDITOR_ID;
    use crate::form_ops::FormOp;
    use leptos::prelude::*;
    use std::cell::Cell;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{
        BeforeUnloadEvent, DomParser, Element, Event, FormData, Headers, HtmlElement,
        HtmlFormElement, HtmlInputElement, RequestInit, Response, SubmitEvent, SupportedType,
        UrlSearchParams,
    };

    thread_local! {
        /// The form holds changes not saved yet.
        static UNSAVED: Cell<bool> = const { Cell::new(false) };
        /// A button's change is on its way: a second press waits for it.
        static BUSY: Cell<bool> = const { Cell::new(false) };
    }

    pub fn start() {
        let doc = document();
        listen(&doc, "submit", |ev: Event| {
            if let Ok(ev) = ev.dyn_into::<SubmitEvent>() {
                on_submit(ev);
            }
        });
        for kind in ["input", "change"] {
            listen(&doc, kind, |ev: Event| {
                if inside_editor(&ev) {
                    UNSAVED.set(true);
                }
            });
        }
        listen(&window(), "beforeunload", |ev: Event| {
            if UNSAVED.get()
                && let Ok(ev) = ev.dyn_into::<BeforeUnloadEvent>()
            {
                ev.prevent_default();
                ev.set_return_value("");
            }
        });
    }

    /// Calls `f` for every `kind` event on `target`, for as long as the page lives.
    fn listen(target: &web_sys::EventTarget, kind: &str, f: impl Fn(Event) + 'static) {
        let callback = Closure::<dyn Fn(Event)>::new(f);
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        callback.forget();
    }

    fn inside_editor(ev: &Event) -> bool {
        ev.target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|e| e.closest(&format!("#{EDITOR_ID}")).ok().flatten())
            .is_some()
    }

    fn on_submit(ev: SubmitEvent) {
        if !inside_editor(&ev) {
            return;
        }
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        let submitter = ev.submitter();
        let Some((submitter, action)) = submitter.and_then(|s| {
            let action = s.get_attribute("formaction")?;
            Some((s, action))
        }) else {
            // Saving: the page is left on purpose.
            UNSAVED.set(false);
            return;
        };
        ev.prevent_default();
        if BUSY.replace(true) {
            return;
        }
        // The editor the server sends back comes without the mark.
        let editor = document().get_element_by_id(EDITOR_ID);
        if let Some(editor) = &editor {
            let _ = editor.set_attribute("aria-busy", "true");
        }
        let op = submitter.get_attribute("value");
        leptos::task::spawn_local(async move {
            let changed = change_in_place(&form, &submitter, &action).await;
            BUSY.set(false);
            match changed {
                Ok(()) => {
                    UNSAVED.set(true);
                    focus_after(op.as_deref());
                }
                // The network or the server failed us: post the form as a page would.
                Err(_) => {
                    if let Some(editor) = &editor {
                        let _ = editor.remove_attribute("aria-busy");
                    }
                    post_as_a_page(&form, &submitter, &action);
                }
            }
        });
    }

    /// Posts the form with its button as a browser would (the server answers form posts that
    /// accept HTML with the page to go back to), and puts the new editor in place of this one.
    async fn change_in_place(
        form: &HtmlFormElement,
        submitter: &HtmlElement,
        action: &str,
    ) -> Result<(), JsValue> {
        let data = FormData::new_with_form(form)?;
        if let Some(name) = submitter.get_attribute("name") {
            data.append_with_str(&name, &submitter.get_attribute("value").unwrap_or_default())?;
        }
        let body = UrlSearchParams::new_with_str_sequence_sequence(&data)?;
        let headers = Headers::new()?;
        headers.set("Accept", "text/html")?;
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&body);
        init.set_headers(&headers);
        let response: Response = JsFuture::from(window().fetch_with_str_and_init(action, &init))
            .await?
            .unchecked_into();
        if !response.ok() {
            return Err(JsValue::from_str("the server did not answer with a page"));
        }
        let html = JsFuture::from(response.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        let fresh = DomParser::new()?.parse_from_string(&html, SupportedType::TextHtml)?;
        let (Some(new), Some(old)) = (
            fresh.get_element_by_id(EDITOR_ID),
            document().get_element_by_id(EDITOR_ID),
        ) else {
            return Err(JsValue::from_str("the answer holds no editor"));
        };
        old.replace_with_with_node_1(&new)
    }

    /// Submits the form the way it works without JavaScript (this listener lets it through).
    fn post_as_a_page(form: &HtmlFormElement, submitter: &HtmlElement, action: &str) {
        if let (Some(name), Ok(hidden)) = (
            submitter.get_attribute("name"),
            document().create_element("input"),
        ) && let Ok(hidden) = hidden.dyn_into::<HtmlInputElement>()
        {
            hidden.set_type("hidden");
            hidden.set_name(&name);
            hidden.set_value(&submitter.get_attribute("value").unwrap_or_default());
            let _ = form.append_child(&hidden);
        }
        form.set_action(action);
        UNSAVED.set(false);
        let _ = form.submit();
    }

    /// Moves focus to what the button `op` changed (the preview, when it is none).
    fn focus_after(op: Option<&str>) {
        let doc = document();
        let find = |selector: &str| doc.query_selector(selector).ok().flatten();
        let target = match op {
            None => find("#preview-title")
                .or_else(|| find(&format!("#{EDITOR_ID} .invalid input")))
                .inspect(|heading| {
                    let _ = heading.set_attribute("tabindex", "-1");
                }),
            Some(op) => {
                let steps = doc
                    .query_selector_all(&format!("#{EDITOR_ID} li.step"))
                    .map_or(0, |list| list.length() as usize);
                let op = FormOp::parse(op);
                let step = op.step_after(steps).map(|n| format!("#step-{n}"));
                let in_step =
                    |selector: &str| step.as_ref().and_then(|s| find(&format!("{s} {selector}")));
                let first_enabled = |buttons: [&str; 2]| {
                    buttons
                        .iter()
                        .find_map(|b| in_step(&format!("button[value^='{b}:']:not([disabled])")))
                };
                match op {
                    FormOp::AddStep | FormOp::AddHttpStep => in_step("input"),
                    FormOp::AddRow(rows, _) | FormOp::RemoveRow(rows, ..) => {
                        last_row(step.as_deref(), rows.as_str())
                    }
                    FormOp::MoveUp(_) => first_enabled(["move_up", "move_down"]),
                    FormOp::MoveDown(_) => first_enabled(["move_down", "move_up"]),
                    FormOp::RemoveStep(_) => {
                        in_step("input").or_else(|| find("button[value='add_step']"))
                    }
                    FormOp::Save => None,
                }
                .or_else(|| in_step("input"))
            }
        };
        if let Some(target) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
            let _ = target.focus();
        }
    }

    /// In the step `step` (`#step-2`), the field of the last row of its list `rows` (its
    /// fields, its fallback's, its request's headers…), or that list's "Add" button when it has
    /// no row.
    fn last_row(step: Option<&str>, rows: &str) -> Option<Element> {
        let list = document()
            .query_selector(&format!("{} fieldset.mapping[data-rows='{rows}']", step?))
            .ok()??;
        let rows = list
            .query_selector_all(":scope > .mapping-row input")
            .ok()?;
        match rows.length() {
            0 => list.query_selector(":scope > button").ok().flatten(),
            // Each row holds two inputs, its field and its value.
            n => rows.item(n.saturating_sub(2))?.dyn_into::<Element>().ok(),
        }
    }
}
