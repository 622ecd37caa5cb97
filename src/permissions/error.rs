//! API errors in the PCCE `apiErrors` shape.

use std::fmt;

use serde::Serialize;

/// One problem in an [`ApiError`]: serializes as `{"errorType", "errorData", "errorMessage"}`.
///
/// ```
/// use studioflow::permissions::ApiErrorItem;
/// let item = ApiErrorItem::new("invalidInput.missingField", "name", "name is required");
/// assert_eq!(item.error_data, "name");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorItem {
    /// Dotted error type, e.g. `invalidInput.fieldLengthExceeded`.
    pub error_type: String,
    /// The field or reference the problem is about (may be empty).
    pub error_data: String,
    /// One-line explanation naming the values involved.
    pub error_message: String,
}

/// The most problems one [`ApiError`] carries (see [`ApiError::from_items`]).
///
/// ```
/// assert_eq!(studioflow::permissions::MAX_ERROR_ITEMS, 20);
/// ```
pub const MAX_ERROR_ITEMS: usize = 20;

/// A failed API call: one or more problems, serializes as `{"apiErrors": [...]}`.
///
/// ```
/// use studioflow::permissions::ApiError;
/// let e = ApiError::not_found("role", "Nope");
/// assert_eq!(e.error_type(), "notFound");
/// assert_eq!(e.http_status(), 404);
/// assert_eq!(e.to_json()["apiErrors"][0]["errorType"], "notFound");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// The problems, in the order they were found (never empty).
    #[serde(rename = "apiErrors")]
    pub errors: Vec<ApiErrorItem>,
}

/// Error type names used by the permission model (see docs/permissions.md).
pub mod types {
    /// A text field is longer than allowed.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::FIELD_LENGTH_EXCEEDED, "invalidInput.fieldLengthExceeded");
    /// ```
    pub const FIELD_LENGTH_EXCEEDED: &str = "invalidInput.fieldLengthExceeded";
    /// A name uses characters outside its rule.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::INVALID_CHARACTERS, "invalidInput.invalidCharacters");
    /// ```
    pub const INVALID_CHARACTERS: &str = "invalidInput.invalidCharacters";
    /// A required field is missing or empty.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::MISSING_FIELD, "invalidInput.missingField");
    /// ```
    pub const MISSING_FIELD: &str = "invalidInput.missingField";
    /// The name is already taken (case-insensitively).
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::DUPLICATE_NAME, "invalidInput.duplicateName");
    /// ```
    pub const DUPLICATE_NAME: &str = "invalidInput.duplicateName";
    /// An accessList entry is not in the catalog.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::UNKNOWN_FEATURE, "invalidInput.unknownFeature");
    /// ```
    pub const UNKNOWN_FEATURE: &str = "invalidInput.unknownFeature";
    /// A custom role asked for an `access` category feature.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::ACCESS_FEATURE, "invalidInput.accessFeature");
    /// ```
    pub const ACCESS_FEATURE: &str = "invalidInput.accessFeature";
    /// A paging value is outside its range.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::OUT_OF_RANGE, "invalidInput.outOfRange");
    /// ```
    pub const OUT_OF_RANGE: &str = "invalidInput.outOfRange";
    /// A `q` term is not understood.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::INVALID_SEARCH_TERM, "invalidInput.invalidSearchTerm");
    /// ```
    pub const INVALID_SEARCH_TERM: &str = "invalidInput.invalidSearchTerm";
    /// A `sort` value is not understood.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::INVALID_SORT_PARAMETER, "invalidInput.invalidSortParameter");
    /// ```
    pub const INVALID_SORT_PARAMETER: &str = "invalidInput.invalidSortParameter";
    /// The changeStamp given is not the current one.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::STALE_CHANGE_STAMP, "invalidInput.staleChangeStamp");
    /// ```
    pub const STALE_CHANGE_STAMP: &str = "invalidInput.staleChangeStamp";
    /// Built-in roles cannot be changed or deleted.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::BUILT_IN_ROLE, "invalidInput.builtInRole");
    /// ```
    pub const BUILT_IN_ROLE: &str = "invalidInput.builtInRole";
    /// The role is held by at least one user.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::ROLE_IN_USE, "invalidInput.roleInUse");
    /// ```
    pub const ROLE_IN_USE: &str = "invalidInput.roleInUse";
    /// The referenced role or agent does not exist.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::NOT_FOUND, "notFound");
    /// ```
    pub const NOT_FOUND: &str = "notFound";
    /// The caller lacks the feature or the department scope.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::FORBIDDEN, "forbidden");
    /// ```
    pub const FORBIDDEN: &str = "forbidden";
    /// No security user was set before an API call.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::NO_SECURITY_USER, "unauthorized.noSecurityUser");
    /// ```
    pub const NO_SECURITY_USER: &str = "unauthorized.noSecurityUser";
    /// The security user no longer exists or the handle is not valid.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::INVALID_SECURITY_USER, "unauthorized.invalidSecurityUser");
    /// ```
    pub const INVALID_SECURITY_USER: &str = "unauthorized.invalidSecurityUser";
    /// The security user is inactive.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::INACTIVE_USER, "unauthorized.inactiveUser");
    /// ```
    pub const INACTIVE_USER: &str = "unauthorized.inactiveUser";
    /// The store (a database) could not be reached or failed: nothing was written.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::error_types::STORE_UNAVAILABLE, "serviceUnavailable.store");
    /// ```
    pub const STORE_UNAVAILABLE: &str = "serviceUnavailable.store";
}

impl ApiError {
    /// An error with a single problem.
    ///
    /// ```
    /// let e = studioflow::permissions::ApiError::new("invalidInput.outOfRange", "startIndex", "startIndex -1 is out of range");
    /// assert_eq!(e.to_string(), "invalidInput.outOfRange: startIndex -1 is out of range");
    /// ```
    pub fn new(
        error_type: impl Into<String>,
        error_data: impl Into<String>,
        error_message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            errors: vec![ApiErrorItem {
                error_type: error_type.into(),
                error_data: error_data.into(),
                error_message: error_message.into(),
            }],
        }
    }

    /// Wraps collected problems; `None` when there are none. At most
    /// [`MAX_ERROR_ITEMS`] are kept: the last kept item then says how many
    /// more there were (a list of 100,000 unknown features gives one
    /// readable error, not 100,000).
    ///
    /// ```
    /// use studioflow::permissions::{ApiError, ApiErrorItem, MAX_ERROR_ITEMS};
    /// assert!(ApiError::from_items(vec![]).is_none());
    /// let many = (0..500).map(|i| ApiErrorItem::new("invalidInput.unknownFeature", "accessList", format!("no feature f{i}")));
    /// let error = ApiError::from_items(many.collect()).unwrap();
    /// assert_eq!(error.errors.len(), MAX_ERROR_ITEMS);
    /// assert!(error.errors[MAX_ERROR_ITEMS - 1].error_message.ends_with("(and 480 more problems)"));
    /// ```
    pub fn from_items(mut errors: Vec<ApiErrorItem>) -> Option<ApiError> {
        if errors.len() > MAX_ERROR_ITEMS {
            let more = errors.len() - MAX_ERROR_ITEMS;
            errors.truncate(MAX_ERROR_ITEMS);
            errors.shrink_to_fit();
            if let Some(last) = errors.last_mut() {
                last.error_message
                    .push_str(&format!(" (and {more} more problems)"));
            }
        }
        if errors.is_empty() {
            None
        } else {
            Some(ApiError { errors })
        }
    }

    /// `unauthorized.noSecurityUser`: an API action ran before any security user was set.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::ApiError::no_security_user().error_type(), "unauthorized.noSecurityUser");
    /// ```
    pub fn no_security_user() -> ApiError {
        ApiError::new(
            types::NO_SECURITY_USER,
            "securityUser",
            "no security user is set, run SetSecurityUser first",
        )
    }

    /// `unauthorized.invalidSecurityUser`: the handle does not name a usable user.
    ///
    /// ```
    /// let e = studioflow::permissions::ApiError::invalid_security_user("forged");
    /// assert!(e.to_string().starts_with("unauthorized.invalidSecurityUser: "));
    /// ```
    pub fn invalid_security_user(reason: impl fmt::Display) -> ApiError {
        ApiError::new(
            types::INVALID_SECURITY_USER,
            "securityUser",
            format!("invalid security user: {reason}"),
        )
    }

    /// `unauthorized.inactiveUser`: the user exists but is deactivated.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::ApiError::inactive_user("former").http_status(), 401);
    /// ```
    pub fn inactive_user(user_name: &str) -> ApiError {
        ApiError::new(
            types::INACTIVE_USER,
            "securityUser",
            format!("user \"{user_name}\" is inactive"),
        )
    }

    /// `notFound` for a reference of some kind (`role`, `agent`).
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::ApiError::not_found("agent", "x").to_string(), r#"notFound: agent "x" not found"#);
    /// ```
    pub fn not_found(kind: &str, reference: &str) -> ApiError {
        ApiError::new(
            types::NOT_FOUND,
            reference,
            format!("{kind} \"{reference}\" not found"),
        )
    }

    /// `forbidden` with the given field and message.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::ApiError::forbidden("role", "no").http_status(), 403);
    /// ```
    pub fn forbidden(error_data: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(types::FORBIDDEN, error_data, message)
    }

    /// The first problem's type (the one scripts usually branch on).
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::ApiError::not_found("role", "x").error_type(), "notFound");
    /// ```
    pub fn error_type(&self) -> &str {
        self.errors
            .first()
            .map(|item| item.error_type.as_str())
            .unwrap_or("")
    }

    /// Whether any problem has this type.
    ///
    /// ```
    /// assert!(studioflow::permissions::ApiError::not_found("role", "x").has_type("notFound"));
    /// ```
    pub fn has_type(&self, error_type: &str) -> bool {
        self.errors.iter().any(|item| item.error_type == error_type)
    }

    /// The HTTP status PCCE would answer with: 400 for `invalidInput.*`, 401 for
    /// `unauthorized.*`, 403 for `forbidden`, 404 for `notFound`, else 500.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::ApiError::not_found("role", "x").http_status(), 404);
    /// ```
    pub fn http_status(&self) -> u16 {
        let error_type = self.error_type();
        if error_type.starts_with("invalidInput") {
            400
        } else if error_type.starts_with("unauthorized") {
            401
        } else if error_type == types::FORBIDDEN {
            403
        } else if error_type == types::NOT_FOUND {
            404
        } else {
            500
        }
    }

    /// The `{"apiErrors": [...]}` JSON body.
    ///
    /// ```
    /// let json = studioflow::permissions::ApiError::not_found("role", "x").to_json();
    /// assert_eq!(json["apiErrors"][0]["errorData"], "x"); // the reference that was not found
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        let items = self
            .errors
            .iter()
            .map(|item| {
                serde_json::json!({
                    "errorType": item.error_type,
                    "errorData": item.error_data,
                    "errorMessage": item.error_message,
                })
            })
            .collect();
        let mut body = serde_json::Map::new();
        body.insert("apiErrors".into(), serde_json::Value::Array(items));
        serde_json::Value::Object(body)
    }
}

impl ApiErrorItem {
    /// A problem item.
    ///
    /// ```
    /// let item = studioflow::permissions::ApiErrorItem::new("notFound", "Nope", "role \"Nope\" not found");
    /// assert_eq!(item.error_type, "notFound");
    /// ```
    pub fn new(
        error_type: &str,
        error_data: impl Into<String>,
        error_message: impl Into<String>,
    ) -> ApiErrorItem {
        ApiErrorItem {
            error_type: error_type.to_owned(),
            error_data: error_data.into(),
            error_message: error_message.into(),
        }
    }
}

/// `errorType: errorMessage`, joined with `; ` when there are several problems.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, item) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", item.error_type, item.error_message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_json_shape() {
        let error = ApiError {
            errors: vec![
                ApiErrorItem::new(types::MISSING_FIELD, "name", "name is required"),
                ApiErrorItem::new(types::OUT_OF_RANGE, "resultsPerPage", "too big"),
            ],
        };
        assert_eq!(
            error.to_string(),
            "invalidInput.missingField: name is required; invalidInput.outOfRange: too big"
        );
        let json = serde_json::to_string(&error).unwrap();
        assert_eq!(
            json,
            r#"{"apiErrors":[{"errorType":"invalidInput.missingField","errorData":"name","errorMessage":"name is required"},{"errorType":"invalidInput.outOfRange","errorData":"resultsPerPage","errorMessage":"too big"}]}"#
        );
        assert_eq!(serde_json::to_value(&error).unwrap(), error.to_json());
        assert_eq!(error.http_status(), 400);
    }
}
