//! "Needs attention": the workflows above the failure threshold over a range, worst first, each
//! with its sparkline, its largest failure group and the version since which it fails.

/// Of `(version, failure rate)` pairs by version, the latest version above `threshold` whose
/// rate is at least twice the previous version's, while the latest version still fails.
pub fn stands_out(rates: &[(i32, f64)], threshold: f64) -> Option<i32> {
    if rates.last()?.1 <= threshold {
        return None;
    }
    rates
        .windows(2)
        .rev()
        .find(|w| w[1].1 > threshold && w[1].1 >= 2.0 * w[0].1)
        .map(|w| w[1].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_stands_out_when_it_fails_far_more_than_the_one_before() {
        assert_eq!(stands_out(&[(5, 0.01), (6, 0.02), (7, 0.4)], 0.1), Some(7));
        assert_eq!(
            stands_out(&[(6, 0.3), (7, 0.35)], 0.1),
            None,
            "always failing"
        );
        assert_eq!(stands_out(&[(7, 0.4)], 0.1), None, "nothing before it");
        assert_eq!(
            stands_out(&[(6, 0.0), (7, 0.05)], 0.1),
            None,
            "under the threshold"
        );
        assert_eq!(
            stands_out(&[(5, 0.0), (6, 0.5), (7, 0.45)], 0.1),
            Some(6),
            "still failing since 6"
        );
        assert_eq!(
            stands_out(&[(5, 0.0), (6, 0.5), (7, 0.0)], 0.1),
            None,
            "fixed by 7"
        );
    }
}
