//! The sufficiency rules as versioned data (`rules/sufficiency.toml`): thresholds, weights,
//! which key question each rule informs and which yardstick (Working Together, Ofsted's
//! review of LSCBs) it serves. The shipped defaults are compiled in; a deployment may load
//! its own file.

use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The shipped default rules (documented in `docs/sufficiency.md`).
pub const DEFAULT_RULES_TOML: &str = include_str!("../../rules/sufficiency.toml");

/// One of the five key questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKey {
    ChildLife,
    Safer,
    Progress,
    Assurance,
    Impact,
}

impl QuestionKey {
    pub const ALL: [QuestionKey; 5] = [
        QuestionKey::ChildLife,
        QuestionKey::Safer,
        QuestionKey::Progress,
        QuestionKey::Assurance,
        QuestionKey::Impact,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKey::ChildLife => "child_life",
            QuestionKey::Safer => "safer",
            QuestionKey::Progress => "progress",
            QuestionKey::Assurance => "assurance",
            QuestionKey::Impact => "impact",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

/// The public yardstick a rule serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Yardstick {
    /// Working Together to Safeguard Children's minimum uses of data.
    WorkingTogether,
    /// Ofsted's review of LSCBs: what a good board does.
    OfstedReview,
    Both,
}

impl Yardstick {
    pub fn as_str(self) -> &'static str {
        match self {
            Yardstick::WorkingTogether => "working_together",
            Yardstick::OfstedReview => "ofsted_review",
            Yardstick::Both => "both",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Yardstick::WorkingTogether => "Working Together",
            Yardstick::OfstedReview => "Ofsted review of LSCBs",
            Yardstick::Both => "Working Together and Ofsted review of LSCBs",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgementRules {
    pub min_evidence: usize,
    pub sufficient_max_against: Decimal,
    pub not_sufficient_above_against: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverallRules {
    pub not_sufficient_min_questions: usize,
    pub not_enough_evidence_min_questions: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrativeRules {
    pub change_tolerance_points: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionRule {
    pub key: QuestionKey,
    pub title: String,
    #[serde(default)]
    pub indicator_tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRagRule {
    pub yardstick: Yardstick,
    pub weight: u32,
    #[serde(default)]
    pub amber_counts_against: bool,
}

/// A rule with only a yardstick and a weight (direction of travel, benchmarks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimpleIndicatorRule {
    pub yardstick: Yardstick,
    pub weight: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQualityRule {
    pub yardstick: Yardstick,
    pub question: QuestionKey,
    pub weight: u32,
    pub max_share_below_good: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatutoryReturnsRule {
    pub yardstick: Yardstick,
    pub question: QuestionKey,
    pub weight: u32,
    pub require_section11: bool,
    pub require_annual_report: bool,
    pub require_assurance_letter: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverdueActionsRule {
    pub yardstick: Yardstick,
    pub weight: u32,
    pub min_days_overdue: u32,
    pub audit: QuestionKey,
    pub inspection: QuestionKey,
    pub section11: QuestionKey,
    pub learning_review: QuestionKey,
    pub business_plan: QuestionKey,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section175Rule {
    pub yardstick: Yardstick,
    pub question: QuestionKey,
    pub weight: u32,
    pub min_completion: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingReachRule {
    pub yardstick: Yardstick,
    pub question: QuestionKey,
    pub weight: u32,
    pub min_share_of_target: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingUtilisationRule {
    pub yardstick: Yardstick,
    pub question: QuestionKey,
    pub weight: u32,
    pub min_utilisation: Decimal,
    pub max_fall_points: Decimal,
}

/// A rule with a yardstick, a question and a weight (attendance, finance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionRuleSimple {
    pub yardstick: Yardstick,
    pub question: QuestionKey,
    pub weight: u32,
}

/// Context facts (Part 1: population, deprivation, vulnerable groups) against England, for
/// "What is it like to be a child growing up here?".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextRule {
    pub yardstick: Yardstick,
    pub question: QuestionKey,
    pub weight: u32,
    /// The indicator tags read as context (Part 1 key facts carry `context`, the vulnerable
    /// groups of Part 2 `vulnerable`).
    pub tags: Vec<String>,
    /// A measure differs from England when it is more than this share of England's value
    /// above or below it; closer than that it is "similar" and counts neither way.
    pub min_difference_share: Decimal,
    /// Words of a title (case-insensitive) marking a measure where a value above England's
    /// means growing up here is harder (child poverty, children in care per 10,000, ...).
    pub harder_when_higher: Vec<String>,
    /// Words of a title marking a deprivation rank where 1 is the most deprived.
    pub deprivation_rank_words: Vec<String>,
    /// A deprivation rank at or below this counts against (among the most deprived areas);
    /// above `least_deprived_rank_min` it counts for.
    pub most_deprived_rank_max: u32,
    pub least_deprived_rank_min: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub context: ContextRule,
    pub indicator_rag: IndicatorRagRule,
    pub indicator_direction: SimpleIndicatorRule,
    pub indicator_benchmark: SimpleIndicatorRule,
    pub audit_quality: AuditQualityRule,
    pub statutory_returns: StatutoryReturnsRule,
    pub overdue_actions: OverdueActionsRule,
    pub section175: Section175Rule,
    pub training_reach: TrainingReachRule,
    pub training_utilisation: TrainingUtilisationRule,
    pub attendance: QuestionRuleSimple,
    pub finance: QuestionRuleSimple,
}

/// The whole rule set, as read from TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub version: String,
    pub judgement: JudgementRules,
    pub overall: OverallRules,
    pub narrative: NarrativeRules,
    #[serde(rename = "question")]
    pub questions: Vec<QuestionRule>,
    pub rules: RuleSet,
}

impl Rules {
    /// Parses and checks a rules file's text.
    pub fn from_toml_str(s: &str) -> anyhow::Result<Rules> {
        let r: Rules = toml::from_str(s).map_err(|e| anyhow::anyhow!("sufficiency rules: {e}"))?;
        r.check()?;
        Ok(r)
    }

    /// Reads a rules file.
    pub fn load(path: &Path) -> anyhow::Result<Rules> {
        let s = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        Self::from_toml_str(&s)
    }

    /// The shipped defaults.
    pub fn default_rules() -> Rules {
        // The shipped file is tested (`default_rules_parse`), so this cannot fail at run time.
        Self::from_toml_str(DEFAULT_RULES_TOML).expect("shipped sufficiency rules are valid")
    }

    /// How far a typed percentage change may be from the computed one.
    pub fn narrative_tolerance(&self) -> Decimal {
        self.narrative.change_tolerance_points
    }

    /// The title of a question.
    pub fn title(&self, key: QuestionKey) -> &str {
        self.questions
            .iter()
            .find(|q| q.key == key)
            .map(|q| q.title.as_str())
            .unwrap_or(key.as_str())
    }

    /// The questions an indicator with `tags` informs.
    pub fn questions_for_tags(&self, tags: &[String]) -> Vec<QuestionKey> {
        self.questions
            .iter()
            .filter(|q| q.indicator_tags.iter().any(|t| tags.contains(t)))
            .map(|q| q.key)
            .collect()
    }

    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.version.trim().is_empty(),
            "sufficiency rules: version is required"
        );
        let j = &self.judgement;
        anyhow::ensure!(
            j.sufficient_max_against >= Decimal::ZERO
                && j.sufficient_max_against < j.not_sufficient_above_against
                && j.not_sufficient_above_against <= Decimal::ONE,
            "sufficiency rules: need 0 <= sufficient_max_against < not_sufficient_above_against <= 1"
        );
        for key in QuestionKey::ALL {
            let n = self.questions.iter().filter(|q| q.key == key).count();
            anyhow::ensure!(
                n == 1,
                "sufficiency rules: question '{}' must appear exactly once (found {n})",
                key.as_str()
            );
        }
        Ok(())
    }
}

impl Default for Rules {
    fn default() -> Self {
        Self::default_rules()
    }
}
