//! Types and rules of part 2, without I/O: Section 11 ratings and return validation, the
//! Section 11 summary, Section 175 completion, the figure-29 attendance rating and survey
//! comparisons.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use lscb_platform::Violations;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// The Section 11 scale: red (significant gaps), amber (partly met), green (fully met).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Red,
    Amber,
    Green,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Red => "red",
            Rating::Amber => "amber",
            Rating::Green => "green",
        }
    }

    pub fn parse(s: &str) -> Option<Rating> {
        match s {
            "red" => Some(Rating::Red),
            "amber" => Some(Rating::Amber),
            "green" => Some(Rating::Green),
            _ => None,
        }
    }

    /// red 1, amber 2, green 3.
    pub fn score(self) -> i64 {
        match self {
            Rating::Red => 1,
            Rating::Amber => 2,
            Rating::Green => 3,
        }
    }
}

/// Whether and how an agency returned its Section 11 self-assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnStatus {
    Submitted,
    /// Covered by a return made for a wider area.
    Regional,
    NotSubmitted,
}

impl ReturnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Submitted => "submitted",
            ReturnStatus::Regional => "regional",
            ReturnStatus::NotSubmitted => "not_submitted",
        }
    }

    pub fn parse(s: &str) -> Option<ReturnStatus> {
        match s {
            "submitted" => Some(ReturnStatus::Submitted),
            "regional" => Some(ReturnStatus::Regional),
            "not_submitted" => Some(ReturnStatus::NotSubmitted),
            _ => None,
        }
    }
}

/// One standard of a Section 11 catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standard {
    pub code: String,
    pub title: String,
    pub statutory: bool,
    #[serde(default)]
    pub description: String,
}

/// A self-rating of one standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardRating {
    pub standard_code: String,
    pub rating: Rating,
    #[serde(default)]
    pub evidence: String,
}

/// A gap action to be created in part 1's action register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGapAction {
    pub standard_code: String,
    pub description: String,
    /// Empty = the returning agency.
    pub owner_agency: String,
    pub due_date: NaiveDate,
}

/// A validated Section 11 submission (before it is checked against the catalogue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section11Submission {
    pub cycle: String,
    pub agency: String,
    pub status: ReturnStatus,
    pub regional_body: String,
    pub ratings: Vec<StandardRating>,
    pub gap_actions: Vec<NewGapAction>,
}

/// Whether `code` is a valid identifier: letters, digits, '-', '_', '.', 1–64 characters.
pub fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks a catalogue: at least one standard, valid unique codes, titles present.
pub fn check_catalogue(standards: &[Standard]) -> Violations {
    let mut v = Violations::new();
    v.ensure(
        !standards.is_empty(),
        "standards",
        "at least one standard is needed",
    );
    let mut seen = HashSet::new();
    for (i, s) in standards.iter().enumerate() {
        if !valid_code(&s.code) {
            v.add(
                format!("standards[{i}].code"),
                format!(
                    "'{}' is not a code: use letters, digits, '-', '_' or '.'",
                    s.code
                ),
            );
        } else if !seen.insert(s.code.as_str()) {
            v.add(
                format!("standards[{i}].code"),
                format!("standard '{}' appears twice", s.code),
            );
        }
        v.ensure(
            !s.title.trim().is_empty(),
            format!("standards[{i}].title"),
            "a title is needed",
        );
    }
    v
}

/// Checks a submission against the cycle's catalogue: a submitted return rates every
/// standard exactly once and has a gap action for every standard below green; regional
/// and not-submitted returns carry no ratings.
pub fn check_submission(sub: &Section11Submission, catalogue: &[Standard]) -> Violations {
    let mut v = Violations::new();
    let known: HashSet<&str> = catalogue.iter().map(|s| s.code.as_str()).collect();
    match sub.status {
        ReturnStatus::Submitted => {
            let mut rated = HashMap::new();
            for (i, r) in sub.ratings.iter().enumerate() {
                if !known.contains(r.standard_code.as_str()) {
                    v.add(
                        format!("ratings[{i}].standard_code"),
                        format!(
                            "'{}' is not a standard of the cycle's catalogue",
                            r.standard_code
                        ),
                    );
                } else if rated.insert(r.standard_code.as_str(), r.rating).is_some() {
                    v.add(
                        format!("ratings[{i}].standard_code"),
                        format!("standard '{}' is rated twice", r.standard_code),
                    );
                }
            }
            let missing: Vec<&str> = catalogue
                .iter()
                .map(|s| s.code.as_str())
                .filter(|c| !rated.contains_key(c))
                .collect();
            if !missing.is_empty() {
                v.add(
                    "ratings",
                    format!(
                        "every standard needs a rating; missing: {}",
                        missing.join(", ")
                    ),
                );
            }
            let with_action: HashSet<&str> = sub
                .gap_actions
                .iter()
                .map(|a| a.standard_code.as_str())
                .collect();
            for (i, r) in sub.ratings.iter().enumerate() {
                if r.rating != Rating::Green && !with_action.contains(r.standard_code.as_str()) {
                    v.add(
                        format!("ratings[{i}].rating"),
                        format!(
                            "standard '{}' is rated {}: add a gap action for it",
                            r.standard_code,
                            r.rating.as_str()
                        ),
                    );
                }
            }
            for (i, a) in sub.gap_actions.iter().enumerate() {
                if !rated.contains_key(a.standard_code.as_str()) {
                    v.add(
                        format!("gap_actions[{i}].standard_code"),
                        format!(
                            "'{}' is not a rated standard of this return",
                            a.standard_code
                        ),
                    );
                }
            }
        }
        ReturnStatus::Regional | ReturnStatus::NotSubmitted => {
            v.ensure(
                sub.ratings.is_empty(),
                "ratings",
                "only a submitted return carries ratings",
            );
            v.ensure(
                sub.gap_actions.is_empty(),
                "gap_actions",
                "only a submitted return carries gap actions",
            );
        }
    }
    v
}

/// An agency's latest return with its moderations, as the summary needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnView {
    pub agency: String,
    pub status: ReturnStatus,
    pub regional_body: String,
    pub ratings: Vec<StandardRating>,
    /// standard code -> (moderated rating, note).
    pub moderations: HashMap<String, (Rating, String)>,
}

impl ReturnView {
    /// The rating that counts: the moderated one where moderated, else the self-rating.
    pub fn effective(&self) -> BTreeMap<String, Rating> {
        self.ratings
            .iter()
            .map(|r| {
                let m = self.moderations.get(&r.standard_code).map(|m| m.0);
                (r.standard_code.clone(), m.unwrap_or(r.rating))
            })
            .collect()
    }
}

/// Counts of red, amber and green ratings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RatingCounts {
    pub red: u32,
    pub amber: u32,
    pub green: u32,
}

impl RatingCounts {
    pub fn add(&mut self, r: Rating) {
        match r {
            Rating::Red => self.red += 1,
            Rating::Amber => self.amber += 1,
            Rating::Green => self.green += 1,
        }
    }

    pub fn total(&self) -> u32 {
        self.red + self.amber + self.green
    }

    pub fn green_share(&self) -> Option<Decimal> {
        percent(self.green as u64, self.total() as u64)
    }

    fn score_sum(&self) -> i64 {
        self.red as i64 + 2 * self.amber as i64 + 3 * self.green as i64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Improved,
    Declined,
    Unchanged,
    NoPrevious,
}

/// One standard's line in the Section 11 summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardSummary {
    pub standard: Standard,
    pub counts: RatingCounts,
    pub self_counts: RatingCounts,
    pub previous_counts: RatingCounts,
    pub agencies_improved: u32,
    pub agencies_declined: u32,
    pub trend: Trend,
}

/// The per-standard distribution of the cycle against the previous cycle.
pub fn standard_summaries(
    catalogue: &[Standard],
    current: &[ReturnView],
    previous: &[ReturnView],
) -> Vec<StandardSummary> {
    let cur: Vec<(&str, BTreeMap<String, Rating>)> = current
        .iter()
        .filter(|r| r.status == ReturnStatus::Submitted)
        .map(|r| (r.agency.as_str(), r.effective()))
        .collect();
    let prev: HashMap<&str, BTreeMap<String, Rating>> = previous
        .iter()
        .filter(|r| r.status == ReturnStatus::Submitted)
        .map(|r| (r.agency.as_str(), r.effective()))
        .collect();
    catalogue
        .iter()
        .map(|s| {
            let mut counts = RatingCounts::default();
            let mut self_counts = RatingCounts::default();
            let mut previous_counts = RatingCounts::default();
            let (mut improved, mut declined) = (0, 0);
            for r in current
                .iter()
                .filter(|r| r.status == ReturnStatus::Submitted)
            {
                if let Some(x) = r.ratings.iter().find(|x| x.standard_code == s.code) {
                    self_counts.add(x.rating);
                }
            }
            for (agency, eff) in &cur {
                let Some(now) = eff.get(&s.code) else {
                    continue;
                };
                counts.add(*now);
                if let Some(before) = prev.get(agency).and_then(|p| p.get(&s.code)) {
                    if now > before {
                        improved += 1;
                    } else if now < before {
                        declined += 1;
                    }
                }
            }
            for eff in prev.values() {
                if let Some(r) = eff.get(&s.code) {
                    previous_counts.add(*r);
                }
            }
            let trend = if previous_counts.total() == 0 || counts.total() == 0 {
                Trend::NoPrevious
            } else {
                // Compare mean scores exactly: a/b vs c/d as a*d vs c*b.
                let now = counts.score_sum() * previous_counts.total() as i64;
                let before = previous_counts.score_sum() * counts.total() as i64;
                match now.cmp(&before) {
                    std::cmp::Ordering::Greater => Trend::Improved,
                    std::cmp::Ordering::Less => Trend::Declined,
                    std::cmp::Ordering::Equal => Trend::Unchanged,
                }
            };
            StandardSummary {
                standard: s.clone(),
                counts,
                self_counts,
                previous_counts,
                agencies_improved: improved,
                agencies_declined: declined,
                trend,
            }
        })
        .collect()
}

/// `n / d` as a percentage with one decimal place (half away from zero); `None` when `d`
/// is zero.
pub fn percent(n: u64, d: u64) -> Option<Decimal> {
    if d == 0 {
        return None;
    }
    let mut p = (Decimal::from(n) * Decimal::from(100) / Decimal::from(d))
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    p.rescale(1);
    Some(p)
}

/// The kinds of education establishment making Section 175 returns.
pub const ESTABLISHMENT_TYPES: [&str; 8] = [
    "early_years",
    "primary",
    "secondary",
    "special",
    "independent",
    "academy",
    "further_education",
    "childrens_centre",
];

/// One establishment's Section 175 return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section175Return {
    pub establishment_code: String,
    pub submitted: bool,
    pub reported_to_governors: bool,
    pub items_compliant: u32,
    pub items_total: u32,
    pub submitted_on: Option<NaiveDate>,
}

/// Checks one return's figures (prefix e.g. `returns[3]`).
pub fn check_section175_return(r: &Section175Return, v: &mut Violations, prefix: &str) {
    v.ensure(
        r.items_compliant <= r.items_total,
        format!("{prefix}.items_compliant"),
        format!(
            "{} compliant items is more than the {} items assessed",
            r.items_compliant, r.items_total
        ),
    );
    if !r.submitted {
        v.ensure(
            !r.reported_to_governors,
            format!("{prefix}.reported_to_governors"),
            "a return not submitted cannot have been reported to governors",
        );
        v.ensure(
            r.submitted_on.is_none(),
            format!("{prefix}.submitted_on"),
            "a return not submitted has no submission date",
        );
        v.ensure(
            r.items_total == 0,
            format!("{prefix}.items_total"),
            "a return not submitted has no assessed items",
        );
    }
}

/// Completion figures for one establishment type (or overall).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    pub expected: u32,
    pub completed: u32,
    pub reported_to_governors: u32,
    pub items_compliant: u64,
    pub items_total: u64,
}

impl Completion {
    pub fn add_return(&mut self, r: &Section175Return) {
        self.expected += 1;
        if r.submitted {
            self.completed += 1;
            self.items_compliant += r.items_compliant as u64;
            self.items_total += r.items_total as u64;
        }
        if r.reported_to_governors {
            self.reported_to_governors += 1;
        }
    }

    pub fn merge(&mut self, o: &Completion) {
        self.expected += o.expected;
        self.completed += o.completed;
        self.reported_to_governors += o.reported_to_governors;
        self.items_compliant += o.items_compliant;
        self.items_total += o.items_total;
    }

    pub fn rate(&self) -> Option<Decimal> {
        percent(self.completed as u64, self.expected as u64)
    }

    pub fn items_share(&self) -> Option<Decimal> {
        percent(self.items_compliant, self.items_total)
    }
}

/// Figure 29's rating of an agency's attendance at one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttendanceRating {
    /// The named member attended 80% or more of the meetings.
    Green,
    /// The named or nominated members attended 80% or more.
    Blue,
    /// The named or nominated members attended less than 80%.
    Red,
}

/// Rates attendance exactly as figure 29 defines it; `None` when there were no meetings.
/// `named` counts meetings the named member attended; `attended` those attended by the
/// named or a nominated member.
pub fn attendance_rating(meetings: u32, named: u32, attended: u32) -> Option<AttendanceRating> {
    if meetings == 0 {
        return None;
    }
    let m = meetings as u64 * 80;
    Some(if named as u64 * 100 >= m {
        AttendanceRating::Green
    } else if attended as u64 * 100 >= m {
        AttendanceRating::Blue
    } else {
        AttendanceRating::Red
    })
}

/// How an agency was present at a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capacity {
    Named,
    Nominated,
}

/// One attendance entry of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    pub agency: String,
    pub capacity: Capacity,
}

/// One member of a governance body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub agency: String,
    #[serde(default)]
    pub named_member: String,
}

pub const BODY_KINDS: [&str; 3] = ["board", "executive", "sub_group"];

/// One agency's attendance at one body over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttendanceTally {
    pub meetings: u32,
    pub named: u32,
    pub attended: u32,
}

/// Tallies an agency's attendance over `meetings` (each a list of attendance entries).
pub fn tally(agency: &str, meetings: &[Vec<Attendance>]) -> AttendanceTally {
    let mut t = AttendanceTally {
        meetings: meetings.len() as u32,
        named: 0,
        attended: 0,
    };
    for m in meetings {
        let mine: Vec<_> = m.iter().filter(|a| a.agency == agency).collect();
        if mine.iter().any(|a| a.capacity == Capacity::Named) {
            t.named += 1;
        }
        if !mine.is_empty() {
            t.attended += 1;
        }
    }
    t
}

/// One question of a survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyQuestion {
    pub code: String,
    pub text: String,
    /// Percent 0–100, as a decimal string.
    pub yes_share: Decimal,
}

/// Checks a share is a percentage.
pub fn valid_share(d: Decimal) -> bool {
    d >= Decimal::ZERO && d <= Decimal::from(100)
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
