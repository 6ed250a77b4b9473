//! Reporting periods: financial years (April to March), their quarters and months, and the
//! arithmetic the services need (year of a period, previous period, same period last year).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The text every period error shows, so callers learn the accepted forms.
pub const ACCEPTED_FORMS: &str = "accepted forms are YYYY-YY for a financial year (e.g. 2015-16), YYYY-YY-Qn for a quarter (e.g. 2015-16-Q1, Q1 = April-June) and YYYY-MM for a month (e.g. 2015-04; a month that reads like a financial year, such as July 2006, is also YYYY-Mmm: 2006-M07)";

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Month,
    Quarter,
    Year,
}

impl Granularity {
    /// Lower-case name as used in the API ("month", "quarter", "year").
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
            Granularity::Year => "year",
        }
    }
}

/// A reporting period. The year is the calendar year in which the financial year starts
/// (2015 for 2015-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// Financial year starting 1 April of `start_year`.
    Year { start_year: i32 },
    /// Quarter 1..=4 of the financial year starting in `start_year` (Q1 = April-June).
    Quarter { start_year: i32, quarter: u8 },
    /// A calendar month.
    Month { year: i32, month: u8 },
}

/// Why a period code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{code}' is not a period: {ACCEPTED_FORMS}")]
pub struct PeriodError {
    pub code: String,
}

fn parse_year(s: &str) -> Option<i32> {
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = s.parse().ok()?;
        (1900..=2999).contains(&y).then_some(y)
    } else {
        None
    }
}

fn parse_fy(s: &str) -> Option<i32> {
    let (a, b) = s.split_once('-')?;
    let start = parse_year(a)?;
    if b.len() != 2 || !b.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let end: i32 = b.parse().ok()?;
    ((start + 1) % 100 == end).then_some(start)
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        let err = || PeriodError {
            code: code.to_string(),
        };
        let s = code.trim();
        match s.len() {
            // 2015-16 or 2015-04
            7 => {
                if let Some(start_year) = parse_fy(s) {
                    return Ok(Period::Year { start_year });
                }
                let (y, m) = s.split_once('-').ok_or_else(err)?;
                let year = parse_year(y).ok_or_else(err)?;
                if m.len() != 2 {
                    return Err(err());
                }
                let month: u8 = m.parse().map_err(|_| err())?;
                if (1..=12).contains(&month) {
                    Ok(Period::Month { year, month })
                } else {
                    Err(err())
                }
            }
            // 2006-M07: a month in the form that never reads as a financial year
            8 => {
                let (y, m) = s.split_once('-').ok_or_else(err)?;
                let year = parse_year(y).ok_or_else(err)?;
                let m = m
                    .strip_prefix('M')
                    .or_else(|| m.strip_prefix('m'))
                    .ok_or_else(err)?;
                if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                let month: u8 = m.parse().map_err(|_| err())?;
                if (1..=12).contains(&month) {
                    Ok(Period::Month { year, month })
                } else {
                    Err(err())
                }
            }
            // 2015-16-Q1
            10 => {
                let start_year = parse_fy(&s[..7]).ok_or_else(err)?;
                let q = &s[7..];
                let quarter = match q {
                    "-Q1" | "-q1" => 1,
                    "-Q2" | "-q2" => 2,
                    "-Q3" | "-q3" => 3,
                    "-Q4" | "-q4" => 4,
                    _ => return Err(err()),
                };
                Ok(Period::Quarter {
                    start_year,
                    quarter,
                })
            }
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year { start_year } => {
                write!(f, "{}-{:02}", start_year, (start_year + 1) % 100)
            }
            Period::Quarter {
                start_year,
                quarter,
            } => {
                write!(
                    f,
                    "{}-{:02}-Q{}",
                    start_year,
                    (start_year + 1) % 100,
                    quarter
                )
            }
            // July 2006 is 2006-M07: "2006-07" is the financial year.
            Period::Month { year, month } if (year + 1).rem_euclid(100) == i32::from(month) => {
                write!(f, "{year}-M{month:02}")
            }
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Period {
    /// Parses a period code; same as `str::parse`.
    pub fn parse(code: &str) -> Result<Period, PeriodError> {
        code.parse()
    }

    /// The period as `want` when its code reads both ways. A code `YYYY-MM` whose month is
    /// the next year's last two digits ("2006-07", "2011-12") parses as the financial year;
    /// where a month is expected (a monthly indicator, a monthly series) it is that month,
    /// whose own code is `2006-M07`. Any other period is returned unchanged.
    pub fn read_as(self, want: Granularity) -> Period {
        match self {
            Period::Year { start_year }
                if want == Granularity::Month && start_year.rem_euclid(100) < 12 =>
            {
                Period::Month {
                    year: start_year,
                    month: (start_year.rem_euclid(100) + 1) as u8,
                }
            }
            other => other,
        }
    }

    /// The financial year `start_year` (2015 for 2015-16).
    pub fn year(start_year: i32) -> Period {
        Period::Year { start_year }
    }

    pub fn granularity(&self) -> Granularity {
        match self {
            Period::Year { .. } => Granularity::Year,
            Period::Quarter { .. } => Granularity::Quarter,
            Period::Month { .. } => Granularity::Month,
        }
    }

    /// Calendar year in which this period's financial year starts.
    pub fn financial_year_start(&self) -> i32 {
        match *self {
            Period::Year { start_year } | Period::Quarter { start_year, .. } => start_year,
            Period::Month { year, month } => {
                if month >= 4 {
                    year
                } else {
                    year - 1
                }
            }
        }
    }

    /// The financial year this period belongs to.
    pub fn financial_year(&self) -> Period {
        Period::Year {
            start_year: self.financial_year_start(),
        }
    }

    /// The quarter a month belongs to; a quarter itself; `None` for a year.
    pub fn quarter(&self) -> Option<Period> {
        match *self {
            Period::Year { .. } => None,
            Period::Quarter { .. } => Some(*self),
            Period::Month { month, .. } => {
                let idx = (month as i32 + 8) % 12; // April -> 0, March -> 11
                Some(Period::Quarter {
                    start_year: self.financial_year_start(),
                    quarter: (idx / 3 + 1) as u8,
                })
            }
        }
    }

    /// The period immediately before this one, of the same granularity.
    pub fn previous(&self) -> Period {
        match *self {
            Period::Year { start_year } => Period::Year {
                start_year: start_year - 1,
            },
            Period::Quarter {
                start_year,
                quarter,
            } => {
                if quarter == 1 {
                    Period::Quarter {
                        start_year: start_year - 1,
                        quarter: 4,
                    }
                } else {
                    Period::Quarter {
                        start_year,
                        quarter: quarter - 1,
                    }
                }
            }
            Period::Month { year, month } => {
                if month == 1 {
                    Period::Month {
                        year: year - 1,
                        month: 12,
                    }
                } else {
                    Period::Month {
                        year,
                        month: month - 1,
                    }
                }
            }
        }
    }

    /// The period immediately after this one, of the same granularity.
    pub fn next(&self) -> Period {
        match *self {
            Period::Year { start_year } => Period::Year {
                start_year: start_year + 1,
            },
            Period::Quarter {
                start_year,
                quarter,
            } => {
                if quarter == 4 {
                    Period::Quarter {
                        start_year: start_year + 1,
                        quarter: 1,
                    }
                } else {
                    Period::Quarter {
                        start_year,
                        quarter: quarter + 1,
                    }
                }
            }
            Period::Month { year, month } => {
                if month == 12 {
                    Period::Month {
                        year: year + 1,
                        month: 1,
                    }
                } else {
                    Period::Month {
                        year,
                        month: month + 1,
                    }
                }
            }
        }
    }

    /// The same period one year earlier (2015-16-Q2 -> 2014-15-Q2, 2015-04 -> 2014-04).
    pub fn same_period_last_year(&self) -> Period {
        match *self {
            Period::Year { start_year } => Period::Year {
                start_year: start_year - 1,
            },
            Period::Quarter {
                start_year,
                quarter,
            } => Period::Quarter {
                start_year: start_year - 1,
                quarter,
            },
            Period::Month { year, month } => Period::Month {
                year: year - 1,
                month,
            },
        }
    }

    /// The periods of the given granularity inside this period, in order
    /// (a year has 4 quarters or 12 months; a quarter 3 months).
    /// Returns an empty list when the granularity is coarser than this period.
    pub fn periods_within(&self, g: Granularity) -> Vec<Period> {
        let mut out = Vec::new();
        let (first, last) = (self.first_day(), self.last_day());
        let mut p = match g {
            Granularity::Year => Period::Year {
                start_year: self.financial_year_start(),
            },
            Granularity::Quarter => match self.quarter() {
                Some(q) => q,
                None => Period::Quarter {
                    start_year: self.financial_year_start(),
                    quarter: 1,
                },
            },
            Granularity::Month => Period::Month {
                year: chrono::Datelike::year(&first),
                month: chrono::Datelike::month(&first) as u8,
            },
        };
        while p.first_day() >= first && p.last_day() <= last {
            out.push(p);
            p = p.next();
        }
        out
    }

    /// First calendar day of the period.
    pub fn first_day(&self) -> NaiveDate {
        match *self {
            Period::Year { start_year } => NaiveDate::from_ymd_opt(start_year, 4, 1).unwrap(),
            Period::Quarter {
                start_year,
                quarter,
            } => {
                let m0 = 4 + 3 * (quarter as u32 - 1); // 4, 7, 10, 13
                if m0 > 12 {
                    NaiveDate::from_ymd_opt(start_year + 1, m0 - 12, 1).unwrap()
                } else {
                    NaiveDate::from_ymd_opt(start_year, m0, 1).unwrap()
                }
            }
            Period::Month { year, month } => {
                NaiveDate::from_ymd_opt(year, month as u32, 1).unwrap()
            }
        }
    }

    /// Last calendar day of the period.
    pub fn last_day(&self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap()
    }

    /// Whether a date falls inside the period.
    pub fn contains_date(&self, d: NaiveDate) -> bool {
        d >= self.first_day() && d <= self.last_day()
    }

    /// Whether `other` lies wholly inside this period.
    pub fn contains(&self, other: &Period) -> bool {
        other.first_day() >= self.first_day() && other.last_day() <= self.last_day()
    }

    /// The financial year a date falls in.
    pub fn financial_year_of(d: NaiveDate) -> Period {
        let (y, m) = (chrono::Datelike::year(&d), chrono::Datelike::month(&d));
        Period::Year {
            start_year: if m >= 4 { y } else { y - 1 },
        }
    }

    /// Human label: "2015/16", "Q1 2015/16", "April 2015".
    pub fn label(&self) -> String {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        match *self {
            Period::Year { start_year } => format!("{}/{:02}", start_year, (start_year + 1) % 100),
            Period::Quarter {
                start_year,
                quarter,
            } => {
                format!("Q{} {}/{:02}", quarter, start_year, (start_year + 1) % 100)
            }
            Period::Month { year, month } => format!("{} {}", MONTHS[month as usize - 1], year),
        }
    }
}

#[cfg(test)]
#[path = "period_tests.rs"]
mod tests;
