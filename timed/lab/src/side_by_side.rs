//! Runs several lab scenarios at once on their own threads and collects every failure, instead of
//! stopping at the first: the long replays wait on real seconds, so running them side by side
//! takes the time of the longest, and a report naming each failed scenario says more than the
//! first panic alone.
//!
//! Owns: the threads and turning their panics into messages. Must not depend on the lab's daemons.

/// A named scenario: a closure that panics on failure (a test body).
pub type Job<'a> = (String, Box<dyn FnOnce() + Send + 'a>);

/// Runs every job at once and returns `"name: panic message"` for each that panicked.
pub fn side_by_side(jobs: Vec<Job<'_>>) -> Vec<String> {
    std::thread::scope(|s| {
        let running: Vec<_> = jobs.into_iter().map(|(name, f)| (name, s.spawn(f))).collect();
        running
            .into_iter()
            .filter_map(|(name, h)| {
                let e = h.join().err()?;
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Some(format!("{name}: {why}"))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_is_named_and_passing_jobs_are_not() {
        let n = 7;
        let failed = side_by_side(vec![
            ("ok".into(), Box::new(|| assert_eq!(n, 7))),
            ("string".into(), Box::new(move || panic!("off by {}", n - 6))),
            ("str".into(), Box::new(|| panic!("plain"))),
        ]);
        assert_eq!(failed, vec!["string: off by 1".to_string(), "str: plain".to_string()]);
    }
}
