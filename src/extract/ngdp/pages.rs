//! Whether the pages of one extract are the whole result: pages 0 ..
//! totalPages-1, each exactly once, all agreeing on `totalPages` and
//! `totalElements`, each holding `elementsOnPage` contacts, adding up to
//! `totalElements`. A download that lost or repeated a page parses fine;
//! this is what stops it from becoming an index.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::json::{PageHead, Scalar};

/// What a page says about itself, and what it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PageInfo {
    /// `currentPage` (zero-based).
    pub(crate) current: Option<u64>,
    /// `totalPages`.
    pub(crate) total_pages: Option<u64>,
    /// `elementsOnPage`.
    pub(crate) elements_on_page: Option<u64>,
    /// `totalElements`.
    pub(crate) total_elements: Option<u64>,
    /// Contacts in its `contacts` array.
    pub(crate) contacts: Option<u64>,
    /// What is wrong with the fields themselves.
    pub(crate) faults: Vec<String>,
}

impl PageInfo {
    pub(super) fn from_head(head: &PageHead) -> PageInfo {
        let mut faults = Vec::new();
        let mut count = |value: &Scalar, name: &str| match value {
            Scalar::Int(n) if *n >= 0 => Some(*n as u64),
            other => {
                faults.push(format!("`{name}` is {}, not a count", other.kind()));
                None
            }
        };
        let current = count(&head.current_page, "currentPage");
        let total_pages = count(&head.total_pages, "totalPages");
        let elements_on_page = count(&head.elements_on_page, "elementsOnPage");
        let total_elements = count(&head.total_elements, "totalElements");
        match (head.contacts, head.contacts_wrong) {
            (_, Some(what)) => faults.push(format!("`contacts` is {what}, not an array")),
            (None, None) => faults.push("`contacts` is missing".to_owned()),
            (Some(_), None) => {}
        }
        PageInfo {
            current,
            total_pages,
            elements_on_page,
            total_elements,
            contacts: head.contacts,
            faults,
        }
    }
}

/// The most problems listed, and the most missing ranges in one problem.
const LISTED: usize = 20;

/// Checks that `pages` (each with the file it came from) are one whole
/// result. `Ok` with the number of contacts, or every problem found.
pub(crate) fn check_pages(pages: &[(PathBuf, PageInfo)]) -> Result<u64, Vec<String>> {
    let mut problems = Vec::new();
    if pages.is_empty() {
        return Err(vec!["no pages were given".to_owned()]);
    }
    for (path, page) in pages {
        for fault in &page.faults {
            problems.push(format!("{}: {fault}", path.display()));
        }
        if let (Some(stated), Some(held)) = (page.elements_on_page, page.contacts)
            && stated != held
        {
            problems.push(format!(
                "{}: page {} says elementsOnPage {} but holds {} contacts",
                path.display(),
                shown(page.current),
                thousands(stated),
                thousands(held)
            ));
        }
    }

    let total_pages = agreed(pages, "totalPages", |p| p.total_pages, &mut problems);
    let total_elements = agreed(pages, "totalElements", |p| p.total_elements, &mut problems);

    let mut by_number: BTreeMap<u64, Vec<&PathBuf>> = BTreeMap::new();
    for (path, page) in pages {
        if let Some(n) = page.current {
            by_number.entry(n).or_default().push(path);
        }
    }
    for (n, paths) in &by_number {
        if paths.len() > 1 {
            problems.push(format!(
                "page {} appears {} times ({})",
                thousands(*n),
                paths.len(),
                listed(paths.iter().map(|p| p.display().to_string()))
            ));
        }
    }
    if let Some(total) = total_pages {
        let beyond: Vec<u64> = by_number.range(total..).map(|(n, _)| *n).collect();
        if !beyond.is_empty() {
            problems.push(format!(
                "page(s) {} beyond totalPages {}",
                listed(beyond.iter().map(|n| thousands(*n))),
                thousands(total)
            ));
        }
        let missing = missing_ranges(by_number.keys().copied(), total);
        if !missing.is_empty() {
            let count: u64 = missing.iter().map(|(a, b)| b - a + 1).sum();
            let ranges = missing.iter().map(|&(a, b)| {
                if a == b {
                    thousands(a)
                } else {
                    format!("{}-{}", thousands(a), thousands(b))
                }
            });
            problems.push(format!(
                "{} {} of {} missing",
                if count == 1 { "page" } else { "pages" },
                listed(ranges),
                thousands(total)
            ));
        }
    }
    let held: u64 = pages.iter().filter_map(|(_, p)| p.contacts).sum();
    if let Some(total) = total_elements
        && held != total
    {
        problems.push(format!(
            "the pages hold {} contacts, but totalElements says {}",
            thousands(held),
            thousands(total)
        ));
    }
    if problems.is_empty() {
        Ok(held)
    } else {
        Err(problems)
    }
}

/// The value every page gives for a field, or a problem naming the values.
fn agreed(
    pages: &[(PathBuf, PageInfo)],
    name: &str,
    field: impl Fn(&PageInfo) -> Option<u64>,
    problems: &mut Vec<String>,
) -> Option<u64> {
    let mut values: BTreeMap<u64, Vec<&PathBuf>> = BTreeMap::new();
    for (path, page) in pages {
        if let Some(v) = field(page) {
            values.entry(v).or_default().push(path);
        }
    }
    match values.len() {
        0 => None,
        1 => values.keys().next().copied(),
        _ => {
            let each = values.iter().map(|(v, paths)| {
                format!(
                    "{} ({}{})",
                    thousands(*v),
                    paths[0].display(),
                    if paths.len() > 1 {
                        format!(" and {} more", paths.len() - 1)
                    } else {
                        String::new()
                    }
                )
            });
            problems.push(format!("the pages disagree on {name}: {}", listed(each)));
            None
        }
    }
}

/// Ranges (inclusive) of `0..total` that `present` (ascending) lacks.
fn missing_ranges(present: impl Iterator<Item = u64>, total: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut next = 0;
    for n in present.take_while(|&n| n < total) {
        if n > next {
            out.push((next, n - 1));
        }
        next = n + 1;
    }
    if next < total {
        out.push((next, total - 1));
    }
    out
}

/// At most [`LISTED`] items, comma-separated, then how many more.
fn listed(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    let mut text = items[..items.len().min(LISTED)].join(", ");
    if items.len() > LISTED {
        text.push_str(&format!(" and {} more", items.len() - LISTED));
    }
    text
}

fn shown(n: Option<u64>) -> String {
    n.map_or_else(|| "(unnumbered)".to_owned(), thousands)
}

/// `6700` -> `6,700`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(current: u64, total_pages: u64, held: u64, total_elements: u64) -> (PathBuf, PageInfo) {
        (
            PathBuf::from(format!("p{current}.json")),
            PageInfo {
                current: Some(current),
                total_pages: Some(total_pages),
                elements_on_page: Some(held),
                total_elements: Some(total_elements),
                contacts: Some(held),
                faults: Vec::new(),
            },
        )
    }

    #[test]
    fn a_whole_result_passes() {
        let pages: Vec<_> = (0..4).map(|n| page(n, 4, 10, 40)).collect();
        assert_eq!(check_pages(&pages), Ok(40));
        // In any order.
        let reversed: Vec<_> = pages.into_iter().rev().collect();
        assert_eq!(check_pages(&reversed), Ok(40));
    }

    #[test]
    fn missing_pages_are_named_as_ranges() {
        let pages: Vec<_> = (0..6700)
            .filter(|n| !(17..=18).contains(n) && *n != 6699)
            .map(|n| page(n, 6700, 1, 6700))
            .collect();
        let problems = check_pages(&pages).unwrap_err();
        assert_eq!(
            problems,
            [
                "pages 17-18, 6,699 of 6,700 missing",
                "the pages hold 6,697 contacts, but totalElements says 6,700"
            ]
        );
        let one = [page(0, 2, 1, 2)];
        assert_eq!(
            check_pages(&one).unwrap_err(),
            [
                "page 1 of 2 missing",
                "the pages hold 1 contacts, but totalElements says 2"
            ]
        );
    }

    #[test]
    fn repeated_beyond_and_disagreeing_pages_fail() {
        let mut pages = vec![page(0, 2, 1, 2), page(1, 2, 1, 2), page(1, 2, 1, 2)];
        pages[2].0 = PathBuf::from("again.json");
        let problems = check_pages(&pages).unwrap_err();
        assert!(problems.contains(&"page 1 appears 2 times (p1.json, again.json)".to_owned()));

        let pages = [page(0, 2, 1, 2), page(1, 3, 1, 2), page(2, 2, 0, 2)];
        let problems = check_pages(&pages).unwrap_err();
        assert!(
            problems.iter().any(|p| p.starts_with(
                "the pages disagree on totalPages: 2 (p0.json and 1 more), 3 (p1.json)"
            )),
            "{problems:?}"
        );

        let pages = [page(0, 1, 1, 1), page(5, 1, 0, 1)];
        let problems = check_pages(&pages).unwrap_err();
        assert!(problems.contains(&"page(s) 5 beyond totalPages 1".to_owned()));
    }

    #[test]
    fn a_page_must_hold_what_it_says() {
        let mut short = page(0, 1, 10, 10);
        short.1.contacts = Some(9);
        let problems = check_pages(&[short]).unwrap_err();
        assert_eq!(
            problems,
            [
                "p0.json: page 0 says elementsOnPage 10 but holds 9 contacts",
                "the pages hold 9 contacts, but totalElements says 10"
            ]
        );
        assert_eq!(check_pages(&[]).unwrap_err(), ["no pages were given"]);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(6_700_000), "6,700,000");
    }
}
