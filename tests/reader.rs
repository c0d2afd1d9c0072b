//! Daily replacement under load: a `Reader` follows an index path while the
//! file is rebuilt and renamed over it, and failed refreshes keep serving.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tilmelding::{
    Answer, BuildOptions, Catalog, Channel, Contact, Date, Index, IndexBuilder, LookupError,
    Reader, Reason, Recipient, RecipientKind, Refresh, Status,
};

const CATALOG: &str = r#"
[[sender_system]]
id = "S"
name = "System"
[[group]]
id = "G"
name = "Group"
audience = "private"
active_from = 2020-01-01
[[material]]
id = "M"
name = "Material"
sender_system = "S"
groups = ["G"]
"#;

/// An index in which recipient `0101901234` has `status` and 2,000 others are registered.
fn index_bytes(status: Status, as_of: i64) -> Vec<u8> {
    let mut builder = IndexBuilder::new(Catalog::from_toml(CATALOG, "c.toml").unwrap());
    builder.add_contact("0101901234".parse().unwrap(), Contact::new(status));
    for serial in 0..2_000u16 {
        let r = Recipient::Cpr(tilmelding::Cpr::new(2, 2, 90, serial).unwrap());
        builder.add_contact(r, Contact::new(Status::Registered));
    }
    builder.finish(as_of, as_of, &mut |_| {})
}

fn publish(path: &Path, bytes: &[u8]) {
    tilmelding::write_atomically(path, bytes).unwrap();
}

fn date() -> Date {
    Date::from_ymd(2026, 11, 22).unwrap()
}

fn who() -> Recipient {
    "0101901234".parse().unwrap()
}

fn answer(channel: Channel, reason: Reason) -> Answer {
    Answer { channel, reason }
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("current.tlm");
    publish(&path, &index_bytes(Status::Registered, 1));
    (dir, path)
}

#[test]
fn lookups_never_fail_while_the_file_is_replaced_again_and_again() {
    let (dir, path) = setup();
    let snapshots = [
        index_bytes(Status::Registered, 1),
        index_bytes(Status::Exempt, 2),
    ];
    let expected = [
        answer(Channel::Digital, Reason::Registered),
        answer(Channel::Physical, Reason::Exempt),
    ];
    let reader = Arc::new(Reader::open(&path).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (reader, stop, answered) = (
                Arc::clone(&reader),
                Arc::clone(&stop),
                Arc::clone(&answered),
            );
            std::thread::spawn(move || {
                let numbers: Vec<u64> = (0..64u64)
                    .map(|s| 202_900_000 + s)
                    .chain([101_901_234])
                    .collect();
                let mut out = vec![Err(LookupError::InvalidRecipient); numbers.len()];
                while !stop.load(Ordering::Relaxed) {
                    if worker % 2 == 0 {
                        let got = reader.lookup("M", &who(), date()).expect("a lookup failed");
                        assert!(expected.contains(&got), "{got:?} is from no snapshot");
                    } else {
                        // One batch sees one snapshot: the 64 others are registered in both.
                        reader
                            .lookup_batch("M", RecipientKind::Cpr, &numbers, date(), &mut out)
                            .unwrap();
                        assert!(out[..64].iter().all(|a| *a == Ok(expected[0])));
                        assert!(expected.contains(&out[64].unwrap()));
                    }
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let mut replaced = 0;
    for round in 0..40 {
        let next = &snapshots[(round + 1) % 2];
        publish(&path, next);
        match reader.refresh().unwrap() {
            Refresh::Replaced { .. } => replaced += 1,
            other => panic!("a replaced file went unnoticed: {other:?}"),
        }
        assert_eq!(
            reader.lookup("M", &who(), date()).unwrap(),
            expected[(round + 1) % 2]
        );
        // An old snapshot held across a refresh keeps answering from its own data.
        let pinned = reader.index();
        publish(&path, &snapshots[round % 2]);
        reader.refresh().unwrap();
        assert_eq!(
            pinned.lookup("M", &who(), date()).unwrap(),
            expected[(round + 1) % 2]
        );
        publish(&path, next);
        reader.refresh().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("a lookup thread panicked");
    }
    assert_eq!(replaced, 40);
    assert!(answered.load(Ordering::Relaxed) > 0);
    assert_eq!(reader.refresh().unwrap(), Refresh::Unchanged);
    // No temporary files are left behind by the atomic writes.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn a_failed_refresh_keeps_serving_and_says_why() {
    let (_dir, path) = setup();
    let reader = Reader::open(&path).unwrap();
    let before = reader.index().metadata().snapshot_id;

    std::fs::remove_file(&path).unwrap();
    let error = reader.refresh().unwrap_err();
    assert!(error.to_string().contains("current.tlm"), "{error}");
    assert_eq!(
        reader.lookup("M", &who(), date()),
        Ok(answer(Channel::Digital, Reason::Registered))
    );

    let mut corrupt = index_bytes(Status::Exempt, 2);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    publish(&path, &corrupt);
    let error = reader.refresh().unwrap_err();
    assert!(error.format_error().is_some(), "{error}");
    assert_eq!(reader.index().metadata().snapshot_id, before);

    publish(&path, &corrupt[..corrupt.len() / 2]);
    assert!(reader.refresh().is_err());
    assert_eq!(
        reader.lookup("M", &who(), date()),
        Ok(answer(Channel::Digital, Reason::Registered))
    );

    publish(&path, &index_bytes(Status::Exempt, 2));
    assert!(matches!(reader.refresh(), Ok(Refresh::Replaced { .. })));
    assert_eq!(
        reader.lookup("M", &who(), date()),
        Ok(answer(Channel::Physical, Reason::Exempt))
    );
}

#[test]
fn a_background_refresh_picks_up_a_new_file() {
    let (_dir, path) = setup();
    let reader = Arc::new(Reader::open(&path).unwrap());
    let refresher = reader.refresh_every(Duration::from_millis(20));
    publish(&path, &index_bytes(Status::Closed, 3));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while reader.lookup("M", &who(), date()) != Ok(answer(Channel::Physical, Reason::Closed)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the background refresh never happened"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(refresher.last_error(), None);
    drop(refresher);
}

#[test]
fn a_stale_index_refuses_to_decide() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let index = Index::from_bytes(index_bytes(Status::Registered, now - 48 * 3600)).unwrap();
    assert_eq!(index.max_age(), None);
    assert!(index.lookup("M", &who(), date()).is_ok(), "off by default");

    index.set_max_age(Some(Duration::from_secs(36 * 3600)));
    assert_eq!(index.max_age(), Some(Duration::from_secs(36 * 3600)));
    assert!(index.is_stale());
    assert_eq!(
        index.lookup("M", &who(), date()),
        Err(LookupError::StaleIndex)
    );
    assert_eq!(
        index.lookup("no such material", &who(), date()),
        Err(LookupError::StaleIndex)
    );
    let mut out = [Ok(answer(Channel::Digital, Reason::Registered))];
    assert_eq!(
        index.lookup_batch("M", RecipientKind::Cpr, &[101901234], date(), &mut out),
        Err(LookupError::StaleIndex)
    );

    index.set_max_age(Some(Duration::from_secs(72 * 3600)));
    assert!(!index.is_stale());
    assert!(index.lookup("M", &who(), date()).is_ok());
    index.set_max_age(None);
    assert!(index.lookup("M", &who(), date()).is_ok());
}

#[test]
fn build_writes_through_a_rename_that_readers_survive() {
    let (dir, path) = setup();
    let reader = Reader::open(&path).unwrap();
    let pinned = reader.index();
    let catalog = dir.path().join("catalog.toml");
    let contacts = dir.path().join("contacts.csv");
    std::fs::write(&catalog, CATALOG).unwrap();
    std::fs::write(&contacts, "id;status\n0101901234;closed\n").unwrap();
    tilmelding::build(
        &catalog,
        &[&contacts],
        &path,
        &BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        pinned.lookup("M", &who(), date()),
        Ok(answer(Channel::Digital, Reason::Registered))
    );
    assert!(matches!(reader.refresh(), Ok(Refresh::Replaced { .. })));
    assert_eq!(
        reader.lookup("M", &who(), date()),
        Ok(answer(Channel::Physical, Reason::Closed))
    );
}
