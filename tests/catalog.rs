//! Reading catalogs: what is accepted, and what each mistake is told as.

use tilmelding::{Audience, Catalog, CatalogError, Date, MessageType};

const GOOD: &str = r#"
[[sender_system]]
id = "SYS-1"
name = "Pasning ESDH"
certificate_expires = 2027-06-30

[[sender_system]]
id = "SYS-2"
name = "Uden certifikatdato"

[[group]]
id = "PASNING-P"
name = "Meddelelser pasningsordning"
audience = "private"
active_from = 2021-11-30

[[group]]
id = "PASNING-E"
name = "Meddelelser pasningsordning, virksomheder"
audience = "erhverv"
active_from = 2022-01-01

[[material]]
id = "100234"
name = "Tildeling af vuggestueplads"
sender_system = "SYS-1"
groups = ["PASNING-P", "PASNING-E"]
message_type = "digitalpost"
mandatory = false

[[material]]
id = "SMS-1"
name = "Påmindelse"
sender_system = "SYS-2"
groups = ["PASNING-P"]
message_type = "nemsms"
"#;

fn problems(text: &str) -> String {
    match Catalog::from_toml(text, "catalog.toml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn reads_a_catalog() {
    let c = Catalog::from_toml(GOOD, "catalog.toml").unwrap();
    assert_eq!(c.sender_systems.len(), 2);
    assert_eq!(
        c.sender_systems[0].certificate_expires,
        Some("2027-06-30".parse::<Date>().unwrap())
    );
    assert_eq!(c.sender_systems[1].certificate_expires, None);
    assert_eq!(c.groups[1].audience, Audience::Erhverv);
    let m = &c.materials[0];
    assert_eq!((m.id.as_str(), m.sender_system), ("100234", 0));
    assert_eq!(m.group(Audience::Private), Some(0));
    assert_eq!(m.group(Audience::Erhverv), Some(1));
    assert_eq!(m.message_type, MessageType::DigitalPost);
    assert!(!m.mandatory);
    assert_eq!(c.materials[1].message_type, MessageType::NemSms);
    assert_eq!(c.material_index("SMS-1"), Some(1));
}

#[test]
fn an_empty_catalog_is_valid() {
    assert_eq!(
        Catalog::from_toml("", "empty.toml").unwrap(),
        Catalog::default()
    );
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let e = Catalog::from_toml("[[group]]\nid = \"G\"\nname = \"n\"\naudience = \"private\"\nactive_from = 2021-11-30\ncolour = \"red\"\n", "c.toml")
        .unwrap_err();
    assert!(matches!(e, CatalogError::Syntax { line: 6, .. }), "{e:?}");
    assert!(e.to_string().starts_with("c.toml:6:"), "{e}");
    assert!(e.to_string().contains("colour"), "{e}");

    let e = problems(&GOOD.replace("audience = \"private\"", "audience = \"citizens\""));
    assert!(e.contains("catalog.toml:14:"), "{e}");
    let e = problems(&GOOD.replace("id = \"100234\"\n", ""));
    assert!(e.contains("missing field `id`"), "{e}");
    let e = problems("this is not toml");
    assert!(e.starts_with("catalog.toml:1:"), "{e}");
}

#[test]
fn bad_dates_are_rejected() {
    for bad in [
        "2021-02-30",
        "2021-11-30T10:00:00",
        "2021-11-30T10:00:00Z",
        "10:00:00",
        "\"2021-11-30\"",
    ] {
        let e =
            problems(&GOOD.replace("active_from = 2021-11-30", &format!("active_from = {bad}")));
        assert!(
            e.contains("catalog.toml:") && e.contains("active_from") || e.contains("date"),
            "{bad}: {e}"
        );
    }
    let e = problems(&GOOD.replace("2027-06-30", "2027-06-30T00:00:00"));
    assert!(
        e.contains("line 5: `certificate_expires` must be a date"),
        "{e}"
    );
}

#[test]
fn inconsistencies_are_listed_with_their_lines() {
    let e = problems(&GOOD.replace("id = \"SYS-2\"", "id = \"SYS-1\""));
    assert!(
        e.contains(
            "line 8: sender system ID \"SYS-1\" is defined more than once (first on line 3)"
        ),
        "{e}"
    );

    let e = problems(&GOOD.replace("id = \"PASNING-E\"", "id = \"PASNING-P\""));
    assert!(
        e.contains("group ID \"PASNING-P\" is defined more than once"),
        "{e}"
    );

    let e = problems(&GOOD.replace("id = \"SMS-1\"", "id = \"100234\""));
    assert!(
        e.contains("line 32: material ID \"100234\" is defined more than once (first on line 24)"),
        "{e}"
    );

    let e = problems(&GOOD.replace("sender_system = \"SYS-2\"", "sender_system = \"SYS-9\""));
    assert!(e.contains("line 34: material \"SMS-1\" names sender system \"SYS-9\", which the catalog does not define"), "{e}");

    let e = problems(&GOOD.replace("groups = [\"PASNING-P\"]", "groups = [\"NOPE\"]"));
    assert!(e.contains("names group \"NOPE\""), "{e}");

    let e = problems(&GOOD.replace("groups = [\"PASNING-P\"]", "groups = []"));
    assert!(e.contains("material \"SMS-1\" has no group"), "{e}");

    let two_private = GOOD.replace("audience = \"erhverv\"", "audience = \"private\"");
    let e = problems(&two_private);
    assert!(
        e.contains("has two private groups, \"PASNING-P\" and \"PASNING-E\""),
        "{e}"
    );

    let e = problems(&GOOD.replace(
        "message_type = \"nemsms\"",
        "message_type = \"nemsms\"\nmandatory = true",
    ));
    assert!(
        e.contains("only Digital Post material can be mandatory"),
        "{e}"
    );

    let e = problems(&GOOD.replace("id = \"SMS-1\"", "id = \" \""));
    assert!(e.contains("material ID is empty"), "{e}");

    // Several problems are reported together, in line order.
    let e = problems(
        &GOOD
            .replace("SYS-2", "SYS-1")
            .replace("groups = [\"PASNING-P\"]", "groups = []"),
    );
    let lines: Vec<&str> = e.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "{e}");
    assert!(
        lines[0].contains("line 8") && lines[1].contains("line 35"),
        "{e}"
    );
}

#[test]
fn load_names_a_missing_file() {
    let e = Catalog::load("/nonexistent/catalog.toml").unwrap_err();
    assert!(matches!(e, CatalogError::Io { .. }));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/catalog.toml: cannot read"),
        "{e}"
    );
}
