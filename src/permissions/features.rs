//! The feature catalog: every API or tool a role can grant, plus the bitset
//! used to hold a role's effective rights.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Most features a catalog may hold: a role's rights are one `u128`.
///
/// ```
/// assert_eq!(studioflow::permissions::MAX_FEATURES, 128);
/// ```
pub const MAX_FEATURES: usize = 128;

/// Longest feature name accepted in a catalog.
///
/// ```
/// assert_eq!(studioflow::permissions::MAX_FEATURE_NAME_LEN, 32);
/// ```
pub const MAX_FEATURE_NAME_LEN: usize = 32;

/// The PCCE feature category: decides which built-in roles include a feature.
///
/// ```
/// use studioflow::permissions::FeatureCategory;
/// assert_eq!(FeatureCategory::parse("access"), Some(FeatureCategory::Access));
/// assert_eq!(FeatureCategory::Call.as_str(), "call");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureCategory {
    /// Agent APIs and tools (AgentAdmin and up).
    Agent,
    /// Call APIs and tools (ScriptAdmin and up).
    Call,
    /// System APIs and tools (ConfigAdmin and up; `script` and `bulkjob` from ScriptAdmin).
    System,
    /// Administrator, department and role features (SystemAdmin only).
    Access,
}

impl FeatureCategory {
    /// Every category, in catalog order.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::FeatureCategory::ALL.len(), 4);
    /// ```
    pub const ALL: [FeatureCategory; 4] = [
        FeatureCategory::Agent,
        FeatureCategory::Call,
        FeatureCategory::System,
        FeatureCategory::Access,
    ];

    /// The lowercase name used in JSON (`agent`, `call`, `system`, `access`).
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::FeatureCategory::Agent.as_str(), "agent");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureCategory::Agent => "agent",
            FeatureCategory::Call => "call",
            FeatureCategory::System => "system",
            FeatureCategory::Access => "access",
        }
    }

    /// Parses a category name exactly as written in JSON (lowercase).
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::FeatureCategory::parse("nope"), None);
    /// ```
    pub fn parse(text: &str) -> Option<FeatureCategory> {
        FeatureCategory::ALL
            .into_iter()
            .find(|category| category.as_str() == text)
    }
}

impl fmt::Display for FeatureCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One grantable API or tool: serializes as `{"name", "category"}`.
///
/// ```
/// let d = studioflow::permissions::Directory::demo();
/// let feature = d.catalog().get(d.feature_id("bulkjob").unwrap()).unwrap();
/// assert_eq!(feature.category.as_str(), "system");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Feature {
    /// Lowercase feature name, e.g. `reasoncode`.
    pub name: String,
    /// The feature's category.
    pub category: FeatureCategory,
}

/// A feature's position in its catalog; valid only for the catalog that issued it.
///
/// ```
/// let d = studioflow::permissions::Directory::demo();
/// let id = d.feature_id("agent").unwrap();
/// assert_eq!(d.catalog().get(id).unwrap().name, "agent");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeatureId(u8);

impl FeatureId {
    /// The zero-based position of the feature in catalog order.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// let id = c.id("agent").unwrap();
    /// assert_eq!(c.features()[id.index()].name, "agent");
    /// ```
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The id at a position, if below [`MAX_FEATURES`] (it may still be outside a given catalog).
    ///
    /// ```
    /// use studioflow::permissions::FeatureId;
    /// assert!(FeatureId::from_index(0).is_some() && FeatureId::from_index(128).is_none());
    /// ```
    pub fn from_index(index: usize) -> Option<FeatureId> {
        (index < MAX_FEATURES).then_some(FeatureId(index as u8))
    }
}

/// A set of features of one catalog, as a 128-bit mask.
///
/// ```
/// use studioflow::permissions::{FeatureCatalog, FeatureCategory};
/// let catalog = FeatureCatalog::default_catalog();
/// let agent = catalog.category_set(FeatureCategory::Agent);
/// assert!(agent.is_subset_of(catalog.all()));
/// assert!(agent.contains(catalog.id("reasoncode").unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FeatureSet(u128);

impl FeatureSet {
    /// The empty set.
    ///
    /// ```
    /// assert!(studioflow::permissions::FeatureSet::EMPTY.is_empty());
    /// ```
    pub const EMPTY: FeatureSet = FeatureSet(0);

    /// Whether the set holds `feature`.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert!(c.all().contains(c.id("role").unwrap()));
    /// ```
    #[inline]
    pub fn contains(self, feature: FeatureId) -> bool {
        self.0 & (1u128 << feature.0) != 0
    }

    /// Adds `feature` to the set.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// let mut set = FeatureSet::EMPTY;
    /// set.insert(c.id("script").unwrap());
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn insert(&mut self, feature: FeatureId) {
        self.0 |= 1u128 << feature.0;
    }

    /// The union of two sets.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// let both = c.category_set(FeatureCategory::Agent).union(c.category_set(FeatureCategory::Call));
    /// assert!(c.category_set(FeatureCategory::Call).is_subset_of(both));
    /// ```
    pub fn union(self, other: FeatureSet) -> FeatureSet {
        FeatureSet(self.0 | other.0)
    }

    /// Whether every feature of `self` is also in `other`.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert!(FeatureSet::EMPTY.is_subset_of(c.all()));
    /// ```
    pub fn is_subset_of(self, other: FeatureSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set is empty.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert!(!c.all().is_empty());
    /// ```
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Number of features in the set.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert_eq!(c.all().len(), c.len());
    /// ```
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The low and high 64-bit words of the mask.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::FeatureSet::EMPTY.halves(), (0, 0));
    /// ```
    pub fn halves(self) -> (u64, u64) {
        (self.0 as u64, (self.0 >> 64) as u64)
    }

    /// The members in catalog order.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// let access: Vec<&str> = c.category_set(FeatureCategory::Access).iter().map(|id| c.get(id).unwrap().name.as_str()).collect();
    /// assert_eq!(access, ["administrator", "department", "role"]);
    /// ```
    pub fn iter(self) -> impl Iterator<Item = FeatureId> {
        (0..128u8)
            .filter(move |bit| self.0 & (1u128 << bit) != 0)
            .map(FeatureId)
    }
}

impl FromIterator<FeatureId> for FeatureSet {
    fn from_iter<I: IntoIterator<Item = FeatureId>>(iter: I) -> Self {
        let mut set = FeatureSet::EMPTY;
        for feature in iter {
            set.insert(feature);
        }
        set
    }
}

/// Features every catalog must contain, with their required category: the
/// directory authorizes its own operations with `agent` and `role`, and the
/// ScriptAdmin built-in is defined by naming `script` and `bulkjob`.
///
/// ```
/// assert!(studioflow::permissions::REQUIRED_FEATURES.iter().any(|(name, _)| *name == "role"));
/// ```
pub const REQUIRED_FEATURES: [(&str, FeatureCategory); 4] = [
    ("agent", FeatureCategory::Agent),
    ("role", FeatureCategory::Access),
    ("script", FeatureCategory::System),
    ("bulkjob", FeatureCategory::System),
];

/// The scripting tools ScriptAdmin adds on top of the agent and call categories.
///
/// ```
/// assert_eq!(studioflow::permissions::SCRIPTING_TOOLS, ["script", "bulkjob"]);
/// ```
pub const SCRIPTING_TOOLS: [&str; 2] = ["script", "bulkjob"];

/// The default catalog, in catalog order (grouped by category).
const DEFAULT_FEATURES: [(&str, FeatureCategory); 25] = [
    ("agent", FeatureCategory::Agent),
    ("agentteam", FeatureCategory::Agent),
    ("attribute", FeatureCategory::Agent),
    ("desksettings", FeatureCategory::Agent),
    ("enterpriseskillgroup", FeatureCategory::Agent),
    ("precisionqueue", FeatureCategory::Agent),
    ("reasoncode", FeatureCategory::Agent),
    ("skillgroup", FeatureCategory::Agent),
    ("bucketinterval", FeatureCategory::Call),
    ("callvariable", FeatureCategory::Call),
    ("calltype", FeatureCategory::Call),
    ("dialednumber", FeatureCategory::Call),
    ("expandedcallvariable", FeatureCategory::Call),
    ("mediafile", FeatureCategory::Call),
    ("bulkjob", FeatureCategory::System),
    ("deployment", FeatureCategory::System),
    ("logcollection", FeatureCategory::System),
    ("machineinventory", FeatureCategory::System),
    ("mediaroutingdomain", FeatureCategory::System),
    ("network", FeatureCategory::System),
    ("peripheralgateway", FeatureCategory::System),
    ("script", FeatureCategory::System),
    ("administrator", FeatureCategory::Access),
    ("department", FeatureCategory::Access),
    ("role", FeatureCategory::Access),
];

/// Why a list of features cannot become a catalog; `index` is the position in the list.
///
/// ```
/// use studioflow::permissions::FeatureCatalog;
/// assert!(FeatureCatalog::new(vec![]).is_err()); // the required features are missing
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// More than [`MAX_FEATURES`] features.
    #[error("the catalog has {count} features; at most {MAX_FEATURES} are supported")]
    TooManyFeatures {
        /// How many were given.
        count: usize,
    },
    /// A feature name breaks the naming rule.
    #[error("invalid feature name \"{name}\": use 1 to {MAX_FEATURE_NAME_LEN} lowercase letters, digits, '.' or '_', starting with a letter")]
    InvalidName {
        /// Position in the list.
        index: usize,
        /// The offending name.
        name: String,
    },
    /// A feature appears twice.
    #[error("duplicate feature \"{name}\" (also features[{first}])")]
    Duplicate {
        /// Position of the second occurrence.
        index: usize,
        /// Position of the first occurrence.
        first: usize,
        /// The repeated name.
        name: String,
    },
    /// A required feature is missing.
    #[error("the catalog must contain feature \"{name}\" with category \"{category}\"")]
    MissingRequired {
        /// The missing feature's name.
        name: &'static str,
        /// The category it must have.
        category: FeatureCategory,
    },
    /// A required feature has the wrong category.
    #[error("feature \"{name}\" must have category \"{expected}\", not \"{found}\"")]
    WrongCategory {
        /// Position in the list.
        index: usize,
        /// The feature's name.
        name: &'static str,
        /// The category it must have.
        expected: FeatureCategory,
        /// The category it was given.
        found: FeatureCategory,
    },
}

/// The ordered set of features a tenant knows (`available_features`).
///
/// ```
/// use studioflow::permissions::FeatureCatalog;
/// let catalog = FeatureCatalog::default_catalog();
/// assert!(catalog.len() >= 20 && catalog.id("ROLE").is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureCatalog {
    features: Vec<Feature>,
    by_name: HashMap<String, FeatureId>,
}

impl FeatureCatalog {
    /// Builds a catalog, checking names, duplicates, the size cap and the required features.
    ///
    /// ```
    /// use studioflow::permissions::FeatureCatalog;
    /// let default = FeatureCatalog::default_catalog();
    /// assert!(FeatureCatalog::new(default.features().to_vec()).is_ok());
    /// ```
    pub fn new(features: Vec<Feature>) -> Result<FeatureCatalog, CatalogError> {
        if features.len() > MAX_FEATURES {
            return Err(CatalogError::TooManyFeatures {
                count: features.len(),
            });
        }
        let mut by_name = HashMap::with_capacity(features.len());
        for (index, feature) in features.iter().enumerate() {
            if !is_valid_feature_name(&feature.name) {
                return Err(CatalogError::InvalidName {
                    index,
                    name: feature.name.clone(),
                });
            }
            // Cannot truncate: the cap above keeps every index below 128.
            let id = FeatureId(index as u8);
            if let Some(first) = by_name.insert(feature.name.clone(), id) {
                return Err(CatalogError::Duplicate {
                    index,
                    first: first.index(),
                    name: feature.name.clone(),
                });
            }
        }
        for (name, category) in REQUIRED_FEATURES {
            match by_name.get(name) {
                None => return Err(CatalogError::MissingRequired { name, category }),
                Some(id) if features[id.index()].category != category => {
                    return Err(CatalogError::WrongCategory {
                        index: id.index(),
                        name,
                        expected: category,
                        found: features[id.index()].category,
                    })
                }
                Some(_) => {}
            }
        }
        Ok(FeatureCatalog { features, by_name })
    }

    /// The default catalog of 25 PCCE features.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert!(c.is_default());
    /// ```
    pub fn default_catalog() -> FeatureCatalog {
        let features = DEFAULT_FEATURES
            .iter()
            .map(|&(name, category)| Feature {
                name: name.to_owned(),
                category,
            })
            .collect();
        match FeatureCatalog::new(features) {
            Ok(catalog) => catalog,
            // The constant list satisfies every rule; a unit test checks it.
            Err(error) => unreachable!("default catalog is invalid: {error}"),
        }
    }

    /// Whether this catalog equals the default one.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert!(c.is_default());
    /// ```
    pub fn is_default(&self) -> bool {
        self.features.len() == DEFAULT_FEATURES.len()
            && self.features.iter().zip(DEFAULT_FEATURES.iter()).all(
                |(feature, &(name, category))| feature.name == name && feature.category == category,
            )
    }

    /// Every feature in catalog order.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert_eq!(c.features().len(), c.len());
    /// ```
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// Number of features.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert_eq!(c.len(), 25);
    /// ```
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the catalog is empty (never true for a valid catalog).
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert!(!c.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Looks a feature up by name, case-insensitively.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert_eq!(c.id("RoLe"), c.id("role"));
    /// ```
    pub fn id(&self, name: &str) -> Option<FeatureId> {
        if let Some(id) = self.by_name.get(name) {
            return Some(*id);
        }
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.by_name.get(&name.to_ascii_lowercase()).copied();
        }
        None
    }

    /// The feature with this id, if the id belongs to this catalog.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert_eq!(c.get(c.id("network").unwrap()).unwrap().category, FeatureCategory::System);
    /// ```
    pub fn get(&self, id: FeatureId) -> Option<&Feature> {
        self.features.get(id.index())
    }

    /// The id of a feature the catalog is guaranteed to contain (see [`REQUIRED_FEATURES`]).
    pub(crate) fn required(&self, name: &str) -> FeatureId {
        self.by_name.get(name).copied().unwrap_or(FeatureId(0))
    }

    /// Every feature of one category.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert_eq!(c.category_set(FeatureCategory::Access).len(), 3);
    /// ```
    pub fn category_set(&self, category: FeatureCategory) -> FeatureSet {
        self.features
            .iter()
            .enumerate()
            .filter(|(_, feature)| feature.category == category)
            .map(|(index, _)| FeatureId(index as u8))
            .collect()
    }

    /// Every feature in the catalog.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert_eq!(c.all().len(), c.len());
    /// ```
    pub fn all(&self) -> FeatureSet {
        (0..self.features.len())
            .map(|index| FeatureId(index as u8))
            .collect()
    }

    /// The features of a set, in catalog order.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert_eq!(c.features_of(c.category_set(FeatureCategory::Access))[0].name, "administrator");
    /// ```
    pub fn features_of(&self, set: FeatureSet) -> Vec<Feature> {
        set.iter().filter_map(|id| self.get(id)).cloned().collect()
    }

    /// The feature names of a set, in catalog order.
    ///
    /// ```
    /// use studioflow::permissions::{FeatureCatalog, FeatureCategory, FeatureSet};
    /// let c = FeatureCatalog::default_catalog();
    /// assert_eq!(c.names_of(c.category_set(FeatureCategory::Access)), ["administrator", "department", "role"]);
    /// ```
    pub fn names_of(&self, set: FeatureSet) -> Vec<&str> {
        set.iter()
            .filter_map(|id| self.get(id))
            .map(|feature| feature.name.as_str())
            .collect()
    }
}

/// 1 to 32 of `a-z`, `0-9`, `.`, `_`, starting with a letter.
fn is_valid_feature_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_FEATURE_NAME_LEN
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_catalog_is_valid_and_large_enough() {
        let catalog = FeatureCatalog::default_catalog();
        assert!(catalog.len() >= 20);
        assert!(catalog.is_default());
        assert_eq!(catalog.id("ReasonCode"), catalog.id("reasoncode"));
        assert!(catalog.id("nosuch").is_none());
    }

    #[test]
    fn catalog_rejects_oversize_duplicates_and_missing() {
        let many: Vec<Feature> = (0..129)
            .map(|i| Feature {
                name: format!("f{i}"),
                category: FeatureCategory::Agent,
            })
            .collect();
        assert!(matches!(
            FeatureCatalog::new(many),
            Err(CatalogError::TooManyFeatures { count: 129 })
        ));
        let missing = vec![Feature {
            name: "agent".into(),
            category: FeatureCategory::Agent,
        }];
        assert!(matches!(
            FeatureCatalog::new(missing),
            Err(CatalogError::MissingRequired { name: "role", .. })
        ));
    }

    #[test]
    fn feature_set_operations() {
        let mut set = FeatureSet::EMPTY;
        set.insert(FeatureId(127));
        set.insert(FeatureId(0));
        assert!(set.contains(FeatureId(127)));
        assert!(!set.contains(FeatureId(5)));
        assert_eq!(set.len(), 2);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            vec![FeatureId(0), FeatureId(127)]
        );
    }
}
