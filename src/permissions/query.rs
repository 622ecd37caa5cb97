//! Role list queries: PCCE search (`q`), sort and paging.

use serde::Serialize;

use super::case_folding::fold_case;
use super::error::{types, ApiError, ApiErrorItem};
use super::roles::{Role, RoleView};

/// Default `resultsPerPage`.
///
/// ```
/// assert_eq!(studioflow::permissions::DEFAULT_RESULTS_PER_PAGE, 25);
/// ```
pub const DEFAULT_RESULTS_PER_PAGE: i64 = 25;

/// Largest `resultsPerPage`.
///
/// ```
/// assert_eq!(studioflow::permissions::MAX_RESULTS_PER_PAGE, 100);
/// ```
pub const MAX_RESULTS_PER_PAGE: i64 = 100;

/// The longest `q` and `sort` accepted, in bytes: a search costs time in
/// proportion to its words times the roles, and a page's links repeat
/// both, so they are bounded before anything is parsed.
///
/// ```
/// use studioflow::permissions::{RoleQuery, MAX_QUERY_TERM_BYTES};
/// let long = RoleQuery { q: Some("a ".repeat(MAX_QUERY_TERM_BYTES)), ..Default::default() };
/// assert_eq!(long.parse().unwrap_err().error_type(), "invalidInput.fieldLengthExceeded");
/// ```
pub const MAX_QUERY_TERM_BYTES: usize = 1024;

/// The list path that page links point at.
///
/// ```
/// assert_eq!(studioflow::permissions::ROLE_LIST_PATH, "/unifiedconfig/config/role");
/// ```
pub const ROLE_LIST_PATH: &str = "/unifiedconfig/config/role";

/// Parameters of `list_roles`, as a client sends them.
///
/// ```
/// use studioflow::permissions::{Directory, RoleQuery};
/// let query = RoleQuery { q: Some("super".into()), ..Default::default() };
/// assert_eq!(Directory::demo().list_roles(1001, &query).unwrap().roles[0].name, "Supervisor");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleQuery {
    /// Search: space-separated words (all must match name or description) and `systemDefined:only|none|both`.
    pub q: Option<String>,
    /// Sort: `name` (default) or `description`, optionally followed by ` asc` or ` desc`.
    pub sort: Option<String>,
    /// Zero-based index of the first result (default 0).
    pub start_index: Option<i64>,
    /// Page size, 1..=100 (default 25).
    pub results_per_page: Option<i64>,
}

/// Which roles `systemDefined:` keeps.
///
/// ```
/// use studioflow::permissions::{RoleQuery, SystemDefinedFilter};
/// let q = RoleQuery { q: Some("systemDefined:none".into()), ..Default::default() };
/// assert_eq!(q.parse().unwrap().system_defined, SystemDefinedFilter::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SystemDefinedFilter {
    /// Built-ins only (`systemDefined:only`).
    Only,
    /// Custom roles only (`systemDefined:none`).
    None,
    /// Both (`systemDefined:both`, the default).
    #[default]
    Both,
}

/// The field roles are sorted on.
///
/// ```
/// use studioflow::permissions::{RoleQuery, RoleSortField};
/// assert_eq!(RoleQuery::default().parse().unwrap().sort_field, RoleSortField::Name);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoleSortField {
    /// Role name (default).
    #[default]
    Name,
    /// Role description.
    Description,
}

/// Sort direction.
///
/// ```
/// use studioflow::permissions::{RoleQuery, SortOrder};
/// assert_eq!(RoleQuery::default().parse().unwrap().sort_order, SortOrder::Asc);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Ascending (default).
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// A checked [`RoleQuery`].
///
/// ```
/// use studioflow::permissions::RoleQuery;
/// let parsed = RoleQuery { q: Some("Team SUPER".into()), ..Default::default() }.parse().unwrap();
/// assert_eq!(parsed.words, ["team", "super"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRoleQuery {
    /// Lowercased plain search words.
    pub words: Vec<String>,
    /// The `systemDefined:` filter.
    pub system_defined: SystemDefinedFilter,
    /// Sort field.
    pub sort_field: RoleSortField,
    /// Sort order.
    pub sort_order: SortOrder,
    /// Requested start index (before clamping to the last full page).
    pub start_index: usize,
    /// Page size.
    pub results_per_page: usize,
    /// `q` as given ("" when absent).
    pub search_term: String,
    /// `sort` as given ("" when absent).
    pub sort_term: String,
}

impl RoleQuery {
    /// Checks every parameter, reporting all problems at once.
    ///
    /// ```
    /// use studioflow::permissions::{RoleQuery, SortOrder};
    /// let parsed = RoleQuery { sort: Some("description desc".into()), ..Default::default() }.parse().unwrap();
    /// assert_eq!(parsed.sort_order, SortOrder::Desc);
    /// assert!(RoleQuery { results_per_page: Some(0), ..Default::default() }.parse().is_err());
    /// ```
    pub fn parse(&self) -> Result<ParsedRoleQuery, ApiError> {
        let mut problems = Vec::new();
        let search_term = self.q.clone().unwrap_or_default();
        let sort_term = self.sort.clone().unwrap_or_default();

        for (field, term) in [("q", &search_term), ("sort", &sort_term)] {
            if term.len() > MAX_QUERY_TERM_BYTES {
                problems.push(ApiErrorItem::new(
                    types::FIELD_LENGTH_EXCEEDED,
                    field,
                    format!(
                        "{field} is {} bytes long, at most {MAX_QUERY_TERM_BYTES} are allowed",
                        term.len()
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(ApiError::from_items(problems).expect("not empty"));
        }

        let mut words = Vec::new();
        let mut system_defined = None;
        for term in search_term.split_whitespace() {
            let Some((param, value)) = term.split_once(':') else {
                words.push(fold_case(term).into_owned());
                continue;
            };
            if param != "systemDefined" {
                problems.push(ApiErrorItem::new(
                    types::INVALID_SEARCH_TERM,
                    "q",
                    format!(
                        "unknown search parameter \"{}\" in \"{}\", only systemDefined:only|none|both is supported",
                        param.escape_debug(),
                        term.escape_debug()
                    ),
                ));
                continue;
            }
            let filter = match value {
                "only" => SystemDefinedFilter::Only,
                "none" => SystemDefinedFilter::None,
                "both" => SystemDefinedFilter::Both,
                _ => {
                    problems.push(ApiErrorItem::new(
                        types::INVALID_SEARCH_TERM,
                        "q",
                        format!(
                            "invalid value \"{}\" for systemDefined, use only, none or both",
                            value.escape_debug()
                        ),
                    ));
                    continue;
                }
            };
            if system_defined.replace(filter).is_some() {
                problems.push(ApiErrorItem::new(
                    types::INVALID_SEARCH_TERM,
                    "q",
                    "systemDefined is given more than once",
                ));
            }
        }

        let mut sort_field = RoleSortField::Name;
        let mut sort_order = SortOrder::Asc;
        let sort_parts: Vec<&str> = sort_term.split_whitespace().collect();
        match sort_parts.as_slice() {
            [] => {}
            [field, rest @ ..] if rest.len() <= 1 => {
                match *field {
                    "name" => sort_field = RoleSortField::Name,
                    "description" => sort_field = RoleSortField::Description,
                    other => problems.push(ApiErrorItem::new(
                        types::INVALID_SORT_PARAMETER,
                        "sort",
                        format!(
                            "cannot sort on \"{}\", use name or description (case-sensitive)",
                            other.escape_debug()
                        ),
                    )),
                }
                match rest.first().copied() {
                    None | Some("asc") => {}
                    Some("desc") => sort_order = SortOrder::Desc,
                    Some(other) => problems.push(ApiErrorItem::new(
                        types::INVALID_SORT_PARAMETER,
                        "sort",
                        format!(
                            "invalid sort order \"{}\", use asc or desc",
                            other.escape_debug()
                        ),
                    )),
                }
            }
            _ => problems.push(ApiErrorItem::new(
                types::INVALID_SORT_PARAMETER,
                "sort",
                format!(
                    "invalid sort \"{}\", use \"<parameter> [asc|desc]\"",
                    sort_term.escape_debug()
                ),
            )),
        }

        let start_index = self.start_index.unwrap_or(0);
        if start_index < 0 {
            problems.push(ApiErrorItem::new(
                types::OUT_OF_RANGE,
                "startIndex",
                format!("startIndex {start_index} is negative, it must be 0 or more"),
            ));
        }
        let results_per_page = self.results_per_page.unwrap_or(DEFAULT_RESULTS_PER_PAGE);
        if !(1..=MAX_RESULTS_PER_PAGE).contains(&results_per_page) {
            problems.push(ApiErrorItem::new(
                types::OUT_OF_RANGE,
                "resultsPerPage",
                format!(
                    "resultsPerPage {results_per_page} is out of range, it must be 1 to {MAX_RESULTS_PER_PAGE}"
                ),
            ));
        }
        if let Some(error) = ApiError::from_items(problems) {
            return Err(error);
        }
        Ok(ParsedRoleQuery {
            words,
            system_defined: system_defined.unwrap_or_default(),
            sort_field,
            sort_order,
            start_index: usize::try_from(start_index).unwrap_or(usize::MAX),
            results_per_page: usize::try_from(results_per_page).unwrap_or(25),
            search_term,
            sort_term,
        })
    }
}

impl ParsedRoleQuery {
    /// Whether a role passes the search.
    ///
    /// ```
    /// use studioflow::permissions::{Directory, RoleQuery};
    /// let roles = Directory::demo().store().snapshot().roles;
    /// let parsed = RoleQuery { q: Some("supervisors".into()), ..Default::default() }.parse().unwrap();
    /// assert_eq!(roles.iter().filter(|r| parsed.matches(r)).count(), 1);
    /// ```
    pub fn matches(&self, role: &Role) -> bool {
        let kind_ok = match self.system_defined {
            SystemDefinedFilter::Only => role.system_defined,
            SystemDefinedFilter::None => !role.system_defined,
            SystemDefinedFilter::Both => true,
        };
        if !kind_ok {
            return false;
        }
        if self.words.is_empty() {
            return true;
        }
        let name = fold_case(&role.name);
        let description = fold_case(&role.description);
        self.words
            .iter()
            .all(|word| name.contains(word.as_str()) || description.contains(word.as_str()))
    }

    /// Filters and sorts roles: case-insensitive on the sort field, ties by id ascending.
    ///
    /// ```
    /// use studioflow::permissions::{Directory, RoleQuery};
    /// let roles = Directory::demo().store().snapshot().roles;
    /// let parsed = RoleQuery { sort: Some("name desc".into()), ..Default::default() }.parse().unwrap();
    /// assert_eq!(parsed.select(&roles)[0].name, "SystemAdmin");
    /// ```
    pub fn select<'a>(&self, roles: &'a [Role]) -> Vec<&'a Role> {
        let mut keyed: Vec<(String, &Role)> = roles
            .iter()
            .filter(|role| self.matches(role))
            .map(|role| {
                let key = match self.sort_field {
                    RoleSortField::Name => fold_case(&role.name).into_owned(),
                    RoleSortField::Description => fold_case(&role.description).into_owned(),
                };
                (key, role)
            })
            .collect();
        keyed.sort_by(|(left_key, left), (right_key, right)| {
            let by_key = match self.sort_order {
                SortOrder::Asc => left_key.cmp(right_key),
                SortOrder::Desc => right_key.cmp(left_key),
            };
            by_key.then_with(|| left.id.cmp(&right.id))
        });
        keyed.into_iter().map(|(_, role)| role).collect()
    }

    /// The page window over `total` results and its pageInfo.
    ///
    /// ```
    /// use studioflow::permissions::RoleQuery;
    /// let parsed = RoleQuery { start_index: Some(10), results_per_page: Some(4), ..Default::default() }.parse().unwrap();
    /// let (range, info) = parsed.page(6);
    /// assert_eq!((range, info.start_index), (2..6, 2));
    /// ```
    pub fn page(&self, total: usize) -> (std::ops::Range<usize>, PageInfo) {
        let per_page = self.results_per_page.max(1);
        let last_start = total.saturating_sub(per_page);
        // Past the end: PCCE answers with the last full page.
        let start = if self.start_index >= total {
            last_start
        } else {
            self.start_index
        };
        let end = start.saturating_add(per_page).min(total);
        let link = |index: usize| self.link(index);
        let info = PageInfo {
            total_results: total,
            start_index: start,
            results_per_page: per_page,
            search_term: self.search_term.clone(),
            sort_term: self.sort_term.clone(),
            first_page: link(0),
            last_page: link(last_start),
            next_page: (end < total).then(|| link(end)),
            prev_page: (start > 0).then(|| link(start.saturating_sub(per_page))),
        };
        (start..end, info)
    }

    fn link(&self, start_index: usize) -> String {
        let mut url = format!(
            "{ROLE_LIST_PATH}?startIndex={start_index}&resultsPerPage={}",
            self.results_per_page
        );
        if !self.search_term.is_empty() {
            url.push_str("&q=");
            percent_encode_into(&self.search_term, &mut url);
        }
        if !self.sort_term.is_empty() {
            url.push_str("&sort=");
            percent_encode_into(&self.sort_term, &mut url);
        }
        url
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode_into(text: &str, out: &mut String) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// Paging information of a list response.
///
/// ```
/// use studioflow::permissions::{Directory, RoleQuery};
/// let query = RoleQuery { start_index: Some(99), results_per_page: Some(2), ..Default::default() };
/// let info = Directory::demo().list_roles(1001, &query).unwrap().page_info;
/// assert_eq!(info.start_index, 3); // past the end: the last full page
/// assert_eq!(info.total_results, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Number of matching roles.
    pub total_results: usize,
    /// Index of the first role on this page (after clamping).
    pub start_index: usize,
    /// Page size.
    pub results_per_page: usize,
    /// `q` as given ("" when absent).
    pub search_term: String,
    /// `sort` as given ("" when absent).
    pub sort_term: String,
    /// Link to the first page.
    pub first_page: String,
    /// Link to the last full page.
    pub last_page: String,
    /// Link to the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page: Option<String>,
    /// Link to the previous page; absent on the first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_page: Option<String>,
}

/// One page of roles: serializes as `{"roles": [...], "pageInfo": {...}}`.
///
/// ```
/// use studioflow::permissions::{Directory, RoleQuery};
/// let query = RoleQuery { results_per_page: Some(2), ..Default::default() };
/// let page = Directory::demo().list_roles(1001, &query).unwrap();
/// assert_eq!(page.roles.len(), 2);
/// assert!(page.page_info.next_page.is_some() && page.page_info.prev_page.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolePage {
    /// The roles on this page.
    pub roles: Vec<RoleView>,
    /// Paging information.
    pub page_info: PageInfo,
}

impl RolePage {
    /// The page as a JSON value.
    ///
    /// ```
    /// use studioflow::permissions::{Directory, RoleQuery};
    /// let page = Directory::demo().list_roles(1001, &RoleQuery::default()).unwrap();
    /// assert_eq!(page.to_json()["pageInfo"]["totalResults"], 5);
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str, sort: &str, start: Option<i64>, per_page: Option<i64>) -> RoleQuery {
        RoleQuery {
            q: Some(q.into()),
            sort: Some(sort.into()),
            start_index: start,
            results_per_page: per_page,
        }
    }

    #[test]
    fn reports_all_problems() {
        let error = query("x:y systemDefined:maybe", "Name up", Some(-1), Some(0))
            .parse()
            .unwrap_err();
        let data: Vec<(&str, &str)> = error
            .errors
            .iter()
            .map(|item| (item.error_type.as_str(), item.error_data.as_str()))
            .collect();
        assert_eq!(
            data,
            vec![
                ("invalidInput.invalidSearchTerm", "q"),
                ("invalidInput.invalidSearchTerm", "q"),
                ("invalidInput.invalidSortParameter", "sort"),
                ("invalidInput.invalidSortParameter", "sort"),
                ("invalidInput.outOfRange", "startIndex"),
                ("invalidInput.outOfRange", "resultsPerPage"),
            ]
        );
    }

    #[test]
    fn page_past_end_is_last_full_page() {
        let parsed = query("", "", Some(90), Some(25)).parse().unwrap();
        let (range, info) = parsed.page(60);
        assert_eq!(range, 35..60);
        assert_eq!(info.start_index, 35);
        assert_eq!(info.next_page, None);
        assert_eq!(
            info.prev_page.as_deref(),
            Some("/unifiedconfig/config/role?startIndex=10&resultsPerPage=25")
        );
    }

    #[test]
    fn links_carry_search_and_sort() {
        let parsed = query("team lead", "name desc", Some(0), Some(2))
            .parse()
            .unwrap();
        let (_, info) = parsed.page(5);
        assert_eq!(
            info.next_page.as_deref(),
            Some("/unifiedconfig/config/role?startIndex=2&resultsPerPage=2&q=team%20lead&sort=name%20desc")
        );
    }
}
