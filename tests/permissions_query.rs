//! list_roles search, sort and paging, checked against a reference written
//! here from docs/permissions.md, on generated role sets.

use proptest::prelude::*;
use studioflow::permissions::{Directory, RoleDraft, RoleQuery};

const SYSADMIN: u64 = 1001;

/// A role as the reference sees it.
#[derive(Debug, Clone)]
struct RefRole {
    id: u64,
    name: String,
    description: String,
    system_defined: bool,
}

/// The built-ins and the demo's Supervisor, as documented.
fn documented_roles() -> Vec<RefRole> {
    let fixed = [
        (1, "AgentAdmin", "Agent APIs and tools only.", true),
        (
            2,
            "ScriptAdmin",
            "Agent, Call, and Scripting tools - including Bulk Jobs.",
            true,
        ),
        (
            3,
            "ConfigAdmin",
            "All APIs and tools except administrator, departments, and roles.",
            true,
        ),
        (
            4,
            "SystemAdmin",
            "All APIs and tools. Only this role provides access to the Administrator, Department, and Role features.",
            true,
        ),
        (5000, "Supervisor", "Team supervisors", false),
    ];
    fixed
        .iter()
        .map(|&(id, name, description, system_defined)| RefRole {
            id,
            name: name.into(),
            description: description.into(),
            system_defined,
        })
        .collect()
}

struct RefPage {
    ids: Vec<u64>,
    total: usize,
    start: usize,
    next: Option<usize>,
    prev: Option<usize>,
}

/// The straightforward reference: filter, sort, page.
fn reference(
    roles: &[RefRole],
    words: &[&str],
    system: Option<&str>,
    sort: Option<(&str, bool)>,
    start: usize,
    per_page: usize,
) -> RefPage {
    let mut hits: Vec<&RefRole> = roles
        .iter()
        .filter(|role| match system {
            Some("only") => role.system_defined,
            Some("none") => !role.system_defined,
            _ => true,
        })
        .filter(|role| {
            words.iter().all(|word| {
                let word = word.to_lowercase();
                role.name.to_lowercase().contains(&word)
                    || role.description.to_lowercase().contains(&word)
            })
        })
        .collect();
    let (field, descending) = sort.unwrap_or(("name", false));
    hits.sort_by(|a, b| {
        let key = |role: &RefRole| {
            if field == "description" {
                role.description.to_lowercase()
            } else {
                role.name.to_lowercase()
            }
        };
        let ordering = if descending {
            key(b).cmp(&key(a))
        } else {
            key(a).cmp(&key(b))
        };
        ordering.then(a.id.cmp(&b.id))
    });
    let total = hits.len();
    let start = if start >= total {
        total.saturating_sub(per_page)
    } else {
        start
    };
    let end = (start + per_page).min(total);
    RefPage {
        ids: hits[start..end].iter().map(|role| role.id).collect(),
        total,
        start,
        next: (end < total).then_some(end),
        prev: (start > 0).then_some(start.saturating_sub(per_page)),
    }
}

fn role_set() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("[a-cA-C][a-c0-9_]{0,3}", "[a-c ]{0,6}"), 0..40)
}

const WORD_CHOICES: [&str; 6] = ["a", "B", "ab", "c0", "super", "tools"];
const SYSTEM_CHOICES: [Option<&str>; 4] = [None, Some("only"), Some("none"), Some("both")];
const SORT_CHOICES: [Option<(&str, Option<&str>)>; 6] = [
    None,
    Some(("name", None)),
    Some(("name", Some("desc"))),
    Some(("description", None)),
    Some(("description", Some("asc"))),
    Some(("description", Some("desc"))),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn list_roles_matches_the_reference(
        roles in role_set(),
        word_picks in prop::collection::vec(0..WORD_CHOICES.len(), 0..3),
        system_pick in 0..SYSTEM_CHOICES.len(),
        sort_pick in 0..SORT_CHOICES.len(),
        start in 0usize..60,
        per_page in 1usize..30,
    ) {
        let directory = Directory::demo();
        let mut universe = documented_roles();
        for (name, description) in &roles {
            let taken = universe.iter().any(|role| role.name.eq_ignore_ascii_case(name));
            let created = directory.create_role(SYSADMIN, RoleDraft {
                name: name.clone(),
                description: Some(description.clone()),
                access_list: vec![],
            });
            // Duplicates (case-insensitive) are refused; everything else is created.
            prop_assert_eq!(created.is_err(), taken);
            if let Ok(view) = created {
                universe.push(RefRole {
                    id: view.id,
                    name: name.clone(),
                    description: description.clone(),
                    system_defined: false,
                });
            }
        }
        let words: Vec<&str> = word_picks.iter().map(|&i| WORD_CHOICES[i]).collect();
        let system = SYSTEM_CHOICES[system_pick];
        let mut q_terms: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        if let Some(value) = system {
            q_terms.insert(q_terms.len() / 2, format!("systemDefined:{value}"));
        }
        let q = q_terms.join(" ");
        let sort = SORT_CHOICES[sort_pick];
        let sort_text = sort.map(|(field, order)| match order {
            Some(order) => format!("{field} {order}"),
            None => field.to_owned(),
        });
        let query = RoleQuery {
            q: (!q.is_empty()).then(|| q.clone()),
            sort: sort_text.clone(),
            start_index: Some(start as i64),
            results_per_page: Some(per_page as i64),
        };
        let page = directory.list_roles(SYSADMIN, &query).unwrap();
        let expected = reference(
            &universe,
            &words,
            system,
            sort.map(|(field, order)| (field, order == Some("desc"))),
            start,
            per_page,
        );
        let got: Vec<u64> = page.roles.iter().map(|role| role.id).collect();
        prop_assert_eq!(got, expected.ids);
        let info = &page.page_info;
        prop_assert_eq!(info.total_results, expected.total);
        prop_assert_eq!(info.start_index, expected.start);
        prop_assert_eq!(info.results_per_page, per_page);
        prop_assert_eq!(&info.search_term, &q);
        prop_assert_eq!(&info.sort_term, &sort_text.unwrap_or_default());
        let link = |index: usize| {
            let mut url = format!("/unifiedconfig/config/role?startIndex={index}&resultsPerPage={per_page}");
            if !q.is_empty() {
                url.push_str("&q=");
                url.push_str(&q.replace(' ', "%20").replace(':', "%3A"));
            }
            if let Some(text) = &query.sort {
                url.push_str("&sort=");
                url.push_str(&text.replace(' ', "%20"));
            }
            url
        };
        prop_assert_eq!(&info.first_page, &link(0));
        prop_assert_eq!(&info.last_page, &link(expected.total.saturating_sub(per_page)));
        prop_assert_eq!(info.next_page.clone(), expected.next.map(link));
        prop_assert_eq!(info.prev_page.clone(), expected.prev.map(link));
    }

    #[test]
    fn paging_values_outside_their_range_are_refused(
        start in -1000i64..1000,
        per_page in -200i64..300,
    ) {
        let directory = Directory::demo();
        let query = RoleQuery {
            start_index: Some(start),
            results_per_page: Some(per_page),
            ..RoleQuery::default()
        };
        let mut expected_fields = Vec::new();
        if start < 0 {
            expected_fields.push("startIndex");
        }
        if !(1..=100).contains(&per_page) {
            expected_fields.push("resultsPerPage");
        }
        match directory.list_roles(SYSADMIN, &query) {
            Ok(page) => {
                prop_assert!(expected_fields.is_empty());
                // Five roles: a start inside the list shows what is left from
                // there; a start past the end shows the last full page.
                let (start, per_page) = (start as usize, per_page as usize);
                let expected_len = if start < 5 { per_page.min(5 - start) } else { per_page.min(5) };
                prop_assert_eq!(page.roles.len(), expected_len);
            }
            Err(error) => {
                let fields: Vec<&str> = error.errors.iter().map(|e| e.error_data.as_str()).collect();
                prop_assert_eq!(fields, expected_fields);
                prop_assert!(error.errors.iter().all(|e| e.error_type == "invalidInput.outOfRange"));
            }
        }
    }
}

#[test]
fn defaults_and_json_shape() {
    let directory = Directory::demo();
    let page = directory
        .list_roles(SYSADMIN, &RoleQuery::default())
        .unwrap();
    let names: Vec<&str> = page.roles.iter().map(|role| role.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "AgentAdmin",
            "ConfigAdmin",
            "ScriptAdmin",
            "Supervisor",
            "SystemAdmin"
        ]
    );
    let json = serde_json::to_value(&page).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, vec!["roles", "pageInfo"]);
    assert_eq!(
        json["pageInfo"],
        serde_json::json!({
            "totalResults": 5,
            "startIndex": 0,
            "resultsPerPage": 25,
            "searchTerm": "",
            "sortTerm": "",
            "firstPage": "/unifiedconfig/config/role?startIndex=0&resultsPerPage=25",
            "lastPage": "/unifiedconfig/config/role?startIndex=0&resultsPerPage=25"
        })
    );
}

#[test]
fn bad_search_and_sort_terms_are_named() {
    let directory = Directory::demo();
    let cases = [
        (
            Some("owner:bob"),
            None,
            "invalidInput.invalidSearchTerm",
            "q",
        ),
        (
            Some("systemDefined:yes"),
            None,
            "invalidInput.invalidSearchTerm",
            "q",
        ),
        (
            None,
            Some("Name"),
            "invalidInput.invalidSortParameter",
            "sort",
        ),
        (
            None,
            Some("id"),
            "invalidInput.invalidSortParameter",
            "sort",
        ),
        (
            None,
            Some("name down"),
            "invalidInput.invalidSortParameter",
            "sort",
        ),
        (
            None,
            Some("name asc extra"),
            "invalidInput.invalidSortParameter",
            "sort",
        ),
    ];
    for (q, sort, error_type, field) in cases {
        let query = RoleQuery {
            q: q.map(str::to_owned),
            sort: sort.map(str::to_owned),
            ..RoleQuery::default()
        };
        let error = directory.list_roles(SYSADMIN, &query).unwrap_err();
        assert_eq!(error.errors.len(), 1, "{q:?} {sort:?}");
        assert_eq!(error.errors[0].error_type, error_type, "{q:?} {sort:?}");
        assert_eq!(error.errors[0].error_data, field);
        let offending = q
            .or(sort)
            .unwrap()
            .split([' ', ':'])
            .find(|part| !["systemDefined", "name", "asc"].contains(part));
        let offending = offending.unwrap();
        assert!(
            error.to_string().contains(offending),
            "{error} names {offending}"
        );
    }
}

#[test]
fn system_defined_filter() {
    let directory = Directory::demo();
    let ids = |q: &str| -> Vec<u64> {
        directory
            .list_roles(
                SYSADMIN,
                &RoleQuery {
                    q: Some(q.into()),
                    sort: Some("description desc".into()),
                    ..RoleQuery::default()
                },
            )
            .unwrap()
            .roles
            .iter()
            .map(|role| role.id)
            .collect()
    };
    assert_eq!(ids("systemDefined:none"), vec![5000]);
    // Descriptions descending: Team..., All APIs and tools. Only..., All APIs and tools except..., Agent, Call..., Agent APIs...
    assert_eq!(ids("systemDefined:both"), vec![5000, 4, 3, 2, 1]);
    assert_eq!(ids("systemDefined:only tools agent"), vec![2, 1]);
}
