//! Authored narrative sections that carry a heading of their own, each in the place the
//! reference report gives it. A section is printed (heading and text) only when the board
//! has written it, so no heading is left empty; the text's figures are placeholders filled
//! from the data when the report is assembled.

use super::{Builder, Report};

/// Where in the report a group of authored sections is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Part 1, before the key facts: population, diversity, language, deprivation, poverty.
    Context,
    /// Part 1, after the key facts.
    ContextClosing,
    /// Part 2, before the priorities: the strategic plan and the partnership's setting.
    Part2Opening,
    /// Part 2, after the Section 11 results.
    AfterSection11,
    /// Part 2, after the Section 175 results.
    AfterSection175,
    /// Part 2, within the key vulnerable groups, before their figures.
    VulnerableGroups,
    /// Part 2, after the key vulnerable groups.
    Part2Closing,
    /// Part 5, after the glossary.
    SupportingMaterial,
}

/// (place, section key, heading level, heading), in reading order.
pub const SECTIONS: &[(Place, &str, u8, &str)] = &[
    (Place::Context, "context.population", 3, "Population"),
    (Place::Context, "context.diversity", 3, "Diversity"),
    (Place::Context, "context.language", 3, "Language"),
    (Place::Context, "context.deprivation", 3, "Deprivation"),
    (Place::Context, "context.poverty", 3, "Poverty"),
    (
        Place::ContextClosing,
        "context.outcomes",
        3,
        "Outcomes for children and young people",
    ),
    (
        Place::ContextClosing,
        "context.government_intervention",
        3,
        "Government intervention",
    ),
    (Place::Part2Opening, "strategic_plan", 3, "Strategic plan"),
    (
        Place::Part2Opening,
        "partnerships",
        3,
        "Strategy and partnerships",
    ),
    (
        Place::Part2Opening,
        "organisational_change",
        3,
        "Organisational change across partnerships",
    ),
    (
        Place::Part2Opening,
        "engagement",
        3,
        "Engagement with children and young people",
    ),
    (
        Place::Part2Opening,
        "performance_report",
        3,
        "The annual performance report",
    ),
    (
        Place::AfterSection11,
        "joint_commissioning",
        3,
        "Joint commissioning",
    ),
    (
        Place::AfterSection11,
        "early_help_partnership",
        3,
        "Early help",
    ),
    (
        Place::AfterSection11,
        "children_in_care",
        3,
        "Children in care and young people leaving care",
    ),
    (
        Place::AfterSection11,
        "private_fostering",
        3,
        "Private fostering",
    ),
    (
        Place::AfterSection175,
        "lado",
        3,
        "Allegations against persons in positions of trust",
    ),
    (
        Place::VulnerableGroups,
        "vulnerable_groups.cse",
        4,
        "Tackling child sexual exploitation (CSE)",
    ),
    (
        Place::VulnerableGroups,
        "vulnerable_groups.missing",
        4,
        "Missing children",
    ),
    (
        Place::VulnerableGroups,
        "vulnerable_groups.domestic_abuse",
        4,
        "Domestic abuse",
    ),
    (
        Place::VulnerableGroups,
        "vulnerable_groups.fgm",
        4,
        "Tackling female genital mutilation (FGM)",
    ),
    (
        Place::VulnerableGroups,
        "vulnerable_groups.radicalisation",
        4,
        "Tackling radicalisation",
    ),
    (
        Place::VulnerableGroups,
        "vulnerable_groups.modern_slavery",
        4,
        "Modern day slavery",
    ),
    (
        Place::VulnerableGroups,
        "vulnerable_groups.forced_marriage",
        4,
        "Forced marriage and honour based abuse",
    ),
    (
        Place::Part2Closing,
        "childrens_social_care",
        3,
        "Children's Social Care",
    ),
    (Place::SupportingMaterial, "appendices", 3, "Appendices"),
    (Place::SupportingMaterial, "contact", 3, "Contact details"),
];

/// The section keys printed here (narrative may be written for each).
pub fn keys() -> impl Iterator<Item = &'static str> {
    SECTIONS.iter().map(|s| s.1)
}

/// Whether narrative may be written for `key` as one of these sections.
pub fn is_key(key: &str) -> bool {
    keys().any(|k| k == key)
}

/// Prints the written sections of `place` with their headings.
pub(super) fn sections(b: &mut Builder, r: &Report, place: Place) {
    for (_, key, level, heading) in SECTIONS.iter().filter(|s| s.0 == place) {
        if let Some(n) = r.narrative.get(*key)
            && !n.markdown.trim().is_empty()
        {
            b.h(*level, *heading);
            b.authored(&n.markdown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_key_has_one_place() {
        let mut keys: Vec<&str> = SECTIONS.iter().map(|s| s.1).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key listed twice");
        // Keys printed by doc.rs itself have no second place here.
        for own in [
            "foreword",
            "introduction",
            "context",
            "vulnerable_groups",
            "governance",
        ] {
            assert!(!keys.contains(&own), "{own}");
        }
    }
}
