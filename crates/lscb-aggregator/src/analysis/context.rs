//! The context rule (`[rules.context]`): Part 1's key facts and Part 2's vulnerable groups
//! read against England for "What is it like to be a child growing up here?". A measure
//! where a higher value means a harder childhood (child poverty, children in care per
//! 10,000) counts against when it is well above England's value and for when well below; a
//! deprivation rank (1 = most deprived) counts against among the most deprived areas and for
//! well outside them. Measures with no England figure, and ones close to it, count neither
//! way.

use rust_decimal::Decimal;

use super::domain::{Collector, Stance, in_unit};
use super::facts::Facts;

fn has_word(title: &str, words: &[String]) -> bool {
    let t = title.to_lowercase();
    words.iter().any(|w| t.contains(&w.to_lowercase()))
}

/// Adds the context evidence of `facts` to `c`.
pub(super) fn collect(facts: &Facts, c: &mut Collector<'_>) {
    let rule = c.rules.rules.context.clone();
    for ind in &facts.indicators {
        if !ind.tags.iter().any(|t| rule.tags.contains(t)) {
            continue;
        }
        let Some(v) = ind.value else { continue };
        let unit = ind.unit();
        let title = &ind.title;
        let is_rank = title.to_lowercase().contains("rank");
        if is_rank && has_word(title, &rule.deprivation_rank_words) {
            let r = v.trunc();
            let (stance, why) = if r <= Decimal::from(rule.most_deprived_rank_max) {
                (
                    Stance::Against,
                    format!("among the {} most deprived", rule.most_deprived_rank_max),
                )
            } else if r >= Decimal::from(rule.least_deprived_rank_min) {
                (
                    Stance::For,
                    format!(
                        "outside the {} most deprived",
                        rule.least_deprived_rank_min - 1
                    ),
                )
            } else {
                continue;
            };
            c.push(
                rule.question,
                "context",
                stance,
                rule.weight,
                rule.yardstick,
                &ind.source,
                format!("{title} is {} (1 = most deprived): {why}", in_unit(v, unit)),
            );
            continue;
        }
        if !has_word(title, &rule.harder_when_higher) {
            continue;
        }
        let Some(e) = ind.england.filter(|e| !e.is_zero()) else {
            continue;
        };
        let diff = (v - e) / e;
        let (stance, side) = if diff > rule.min_difference_share {
            (Stance::Against, "above")
        } else if -diff > rule.min_difference_share {
            (Stance::For, "below")
        } else {
            continue;
        };
        c.push(
            rule.question,
            "context",
            stance,
            rule.weight,
            rule.yardstick,
            &ind.source,
            format!(
                "{title} is {}, well {side} England's {}",
                in_unit(v, unit),
                in_unit(e, unit)
            ),
        );
    }
}
