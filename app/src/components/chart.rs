//! Charts as SVG rendered with the page, so they show with JavaScript off: runs per period
//! (succeeded and failed stacked), the failure rate with the threshold, durations, and a
//! sparkline. Every mark has a `<title>` (the browser shows it on hover), every chart a table
//! of its numbers, and the two colours (blue and vermillion, Okabe and Ito's palette) stay
//! apart for colour-blind people.

use crate::components::format::rate;
use leptos::prelude::*;
use switchyard_model::read_model::dashboard::{Point, VersionMark};
use switchyard_model::stats::thousands;
use switchyard_model::timefmt::duration_ms as duration;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 34.0;

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// A round number at or above `max` for the top of an axis.
fn nice_ceiling(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|top| *top >= max)
        .unwrap_or(10.0 * magnitude)
}

/// The x of the middle of point `i` of `n`.
fn x_of(i: usize, n: usize) -> f64 {
    LEFT + plot_width() * (i as f64 + 0.5) / n.max(1) as f64
}

fn y_of(value: f64, top: f64) -> f64 {
    TOP + plot_height() * (1.0 - value / top)
}

/// About six labels on the time axis, whatever the number of points.
fn label_every(n: usize) -> usize {
    n.div_ceil(6).max(1)
}

/// A count on an axis: whole, or with its one decimal (the middle of 0 to 5 is 2.5).
fn count_tick(v: f64) -> String {
    if v.fract() == 0.0 {
        thousands(v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// The horizontal grid, its values on the left, and the time labels under the plot.
#[component]
fn Axes(points: Vec<String>, ticks: Vec<(f64, String)>) -> impl IntoView {
    let n = points.len();
    let every = label_every(n);
    view! {
        <g class="axes" aria-hidden="true">
            {ticks.into_iter().map(|(y, text)| view! {
                <line x1=LEFT x2=WIDTH - RIGHT y1=y y2=y class="grid" />
                <text x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{text}</text>
            }).collect_view()}
            {points.into_iter().enumerate().filter(|(i, _)| i % every == 0).map(|(i, label)| view! {
                <text x=x_of(i, n) y=HEIGHT - BOTTOM + 16.0 text-anchor="middle">{label}</text>
            }).collect_view()}
        </g>
    }
}

/// Dashed lines where versions were saved, with their numbers on top.
#[component]
fn Marks(marks: Vec<VersionMark>, n: usize) -> impl IntoView {
    marks
        .into_iter()
        .map(|m| {
            let x = x_of(m.index, n) - plot_width() / n.max(1) as f64 / 2.0;
            let who = m.by.clone().map(|b| format!(" by {b}")).unwrap_or_default();
            view! {
                <g class="version-mark">
                    <title>{format!("Version {} saved{who}, {}", m.version, m.at)}</title>
                    <line x1=x x2=x y1=TOP y2=HEIGHT - BOTTOM />
                    <text x=x + 3.0 y=TOP + 10.0>{format!("v{}", m.version)}</text>
                </g>
            }
        })
        .collect_view()
}

/// Runs per period, succeeded under failed, with the numbers in a table.
#[component]
pub fn RunsChart(
    points: Vec<Point>,
    #[prop(into)] caption: String,
    #[prop(optional)] marks: Vec<VersionMark>,
) -> impl IntoView {
    let n = points.len();
    let succeeded: i64 = points.iter().map(|p| p.succeeded).sum();
    let failed: i64 = points.iter().map(|p| p.failed).sum();
    let top = nice_ceiling(
        points
            .iter()
            .map(|p| (p.succeeded + p.failed) as f64)
            .fold(0.0, f64::max),
    );
    let ticks = [0.0, top / 2.0, top]
        .into_iter()
        .map(|v| (y_of(v, top), count_tick(v)))
        .collect();
    let band = plot_width() / n.max(1) as f64;
    let bar = (band * 0.75).max(1.0);
    let summary = format!(
        "{caption}: {} succeeded and {} failed.",
        thousands(succeeded),
        thousands(failed)
    );
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let x = x_of(i, n) - bar / 2.0;
            let ok_top = y_of(p.succeeded as f64, top);
            let all_top = y_of((p.succeeded + p.failed) as f64, top);
            let base = y_of(0.0, top);
            view! {
                <g class="bar">
                    <title>{format!("{}: {} succeeded, {} failed", p.label, thousands(p.succeeded), thousands(p.failed))}</title>
                    <rect class="succeeded" x=x y=ok_top width=bar height=base - ok_top />
                    <rect class="failed" x=x y=all_top width=bar height=ok_top - all_top />
                </g>
            }
        })
        .collect_view();
    let labels = points.iter().map(|p| p.label.clone()).collect();
    let rows = points.clone();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary.clone()>
                <Axes points=labels ticks />
                {bars}
                <Marks marks n />
            </svg>
            <figcaption>
                <span class="key succeeded">"Succeeded"</span>
                <span class="key failed">"Failed"</span>
                <span class="hint">{summary}</span>
            </figcaption>
            <details class="numbers">
                <summary>"The numbers"</summary>
                <table class="workflows" tabindex="0">
                    <thead><tr><th scope="col">"Period"</th><th scope="col" class="num">"Succeeded"</th><th scope="col" class="num">"Failed"</th><th scope="col" class="num">"Failure rate"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|p| view! {
                            <tr><td>{p.label}</td><td class="num">{thousands(p.succeeded)}</td><td class="num">{thousands(p.failed)}</td><td class="num">{rate(p.failure_rate)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

/// The polyline through the points that have a value, broken where one has none.
fn polylines(
    values: &[Option<f64>],
    y: impl Fn(f64) -> f64,
    x: impl Fn(usize) -> f64,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => current.push(format!("{:.1},{:.1}", x(i), y(*v))),
            None if !current.is_empty() => lines.push(std::mem::take(&mut current).join(" ")),
            None => {}
        }
    }
    if !current.is_empty() {
        lines.push(current.join(" "));
    }
    lines
}

/// The failure rate per period, against the threshold.
#[component]
pub fn RateChart(
    points: Vec<Point>,
    threshold: f64,
    #[prop(into)] caption: String,
    #[prop(optional)] marks: Vec<VersionMark>,
) -> impl IntoView {
    let n = points.len();
    let highest = points
        .iter()
        .filter_map(|p| p.failure_rate)
        .fold(threshold, f64::max);
    let top = nice_ceiling(highest * 100.0).min(100.0) / 100.0;
    let ticks = [0.0, top / 2.0, top]
        .into_iter()
        .map(|v| (y_of(v, top), format!("{}%", (v * 100.0).round())))
        .collect();
    let values: Vec<Option<f64>> = points.iter().map(|p| p.failure_rate).collect();
    let lines = polylines(&values, |v| y_of(v, top), |i| x_of(i, n));
    let dots = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let r = p.failure_rate?;
            Some(view! {
                <circle cx=x_of(i, n) cy=y_of(r, top) r="2.5">
                    <title>{format!("{}: {} failed ({} of {} finished runs)", p.label, rate(Some(r)), thousands(p.failed), thousands(p.failed + p.succeeded))}</title>
                </circle>
            })
        })
        .collect_view();
    let line_y = y_of(threshold, top);
    let summary = format!(
        "{caption}, against the threshold of {}.",
        rate(Some(threshold))
    );
    let labels = points.iter().map(|p| p.label.clone()).collect();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary.clone()>
                <Axes points=labels ticks />
                <line class="threshold" x1=LEFT x2=WIDTH - RIGHT y1=line_y y2=line_y>
                    <title>{format!("Threshold: {}", rate(Some(threshold)))}</title>
                </line>
                {lines.into_iter().map(|l| view! { <polyline class="rate" points=l /> }).collect_view()}
                {dots}
                <Marks marks n />
            </svg>
            <figcaption>
                <span class="key rate">"Failure rate"</span>
                <span class="key threshold">{format!("Threshold ({})", rate(Some(threshold)))}</span>
            </figcaption>
        </figure>
    }
}

/// How long runs took per period: half of them under the first line, 95% under the second.
#[component]
pub fn DurationChart(points: Vec<Point>, #[prop(into)] caption: String) -> impl IntoView {
    let n = points.len();
    let top = nice_ceiling(points.iter().filter_map(|p| p.p95_ms).fold(0, i64::max) as f64);
    let ticks = [0.0, top / 2.0, top]
        .into_iter()
        .map(|v| (y_of(v, top), duration(v.round() as i64)))
        .collect();
    let line = |pick: fn(&Point) -> Option<i64>| {
        let values: Vec<Option<f64>> = points.iter().map(|p| pick(p).map(|v| v as f64)).collect();
        polylines(&values, |v| y_of(v, top), |i| x_of(i, n))
    };
    let (p50, p95) = (line(|p| p.p50_ms), line(|p| p.p95_ms));
    let labels = points.iter().map(|p| p.label.clone()).collect();
    let rows = points.clone();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=caption.clone()>
                <Axes points=labels ticks />
                {p50.into_iter().map(|l| view! { <polyline class="p50" points=l /> }).collect_view()}
                {p95.into_iter().map(|l| view! { <polyline class="p95" points=l /> }).collect_view()}
            </svg>
            <figcaption>
                <span class="key p50">"Half of the runs took less (p50)"</span>
                <span class="key p95">"95% took less (p95)"</span>
            </figcaption>
            <details class="numbers">
                <summary>"The numbers"</summary>
                <table class="workflows" tabindex="0">
                    <thead><tr><th scope="col">"Period"</th><th scope="col" class="num">"p50"</th><th scope="col" class="num">"p95"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|p| view! {
                            <tr><td>{p.label}</td><td class="num">{p.p50_ms.map(duration).unwrap_or_else(|| "—".into())}</td><td class="num">{p.p95_ms.map(duration).unwrap_or_else(|| "—".into())}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

/// A small line of the failure rate, for a list.
#[component]
pub fn Sparkline(values: Vec<Option<f64>>, #[prop(into)] label: String) -> impl IntoView {
    let (w, h) = (120.0, 28.0);
    let n = values.len().max(1);
    let top = values.iter().flatten().fold(0.01f64, |a, b| a.max(*b));
    // One line through every period that has a value: a trend, read at a glance.
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let v = (*v)?;
            let x = w * (i as f64 + 0.5) / n as f64;
            Some(format!("{x:.1},{:.1}", 2.0 + (h - 4.0) * (1.0 - v / top)))
        })
        .collect();
    view! {
        <svg class="sparkline" viewBox=format!("0 0 {w} {h}") width=w height=h role="img" aria-label=label>
            <polyline points=points.join(" ") />
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(130.0), 200.0);
        assert_eq!(nice_ceiling(2_400.0), 2_500.0);
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(duration(2_500), "2.5 s");
    }

    #[test]
    fn a_line_breaks_where_a_period_has_no_value() {
        let lines = polylines(
            &[Some(0.1), None, Some(0.2), Some(0.3)],
            |v| v,
            |i| i as f64,
        );
        assert_eq!(lines, ["0.0,0.1", "2.0,0.2 3.0,0.3"]);
    }
}
