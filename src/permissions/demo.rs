//! The embedded demo tenant (`Directory::demo()`), fixed because tests rely on it.

use super::directory::Directory;

/// The demo tenant document (see docs/permissions.md for its people and roles).
///
/// ```
/// let d = studioflow::permissions::Directory::from_json_str(studioflow::permissions::DEMO_TENANT_JSON).unwrap();
/// assert_eq!(d.to_tenant_json(), studioflow::permissions::Directory::demo().to_tenant_json());
/// ```
pub const DEMO_TENANT_JSON: &str = include_str!("demo_tenant.json");

impl Directory {
    /// The demo tenant: "Demo Contact Center" with seven people and the custom role Supervisor.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::Directory::demo().agent(1005).unwrap().role.as_deref(), Some("Supervisor"));
    /// ```
    pub fn demo() -> Directory {
        match Directory::from_json_str(DEMO_TENANT_JSON) {
            Ok(directory) => directory,
            // The embedded file is constant and loaded by a unit test.
            Err(error) => unreachable!("embedded demo tenant is invalid: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_loads_and_round_trips() {
        let demo = Directory::from_json_str(DEMO_TENANT_JSON).unwrap();
        let saved = demo.to_tenant_json();
        let original: serde_json::Value = serde_json::from_str(DEMO_TENANT_JSON).unwrap();
        assert_eq!(saved, original, "demo file is in canonical saved form");
    }
}
